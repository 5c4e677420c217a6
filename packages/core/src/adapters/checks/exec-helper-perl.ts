/**
 * The exec-check helper: one long-lived perl process that starts `exec` checks for the agent, so the
 * agent never forks (a spawn stalls Node's event loop 5-20 ms, longer than the fastest heartbeat
 * interval). Shipped as a string because the package is published as compiled JS: there is no .pl
 * file to find at run time. Run with `perl -e`, started by `exec-checker.ts`, which documents the
 * protocol; the helper's own environment is exactly the checks' (PATH, LANG=C, extras), so a check
 * inherits it untouched and nothing of the agent's environment (PERL5OPT included) reaches perl.
 *
 * Only perl-base modules (Essential on Debian and Ubuntu): POSIX, IO::Select, IO::Handle. No
 * Time::HiRes (it is in perl-modules, not perl-base): deadlines use POSIX::times, the elapsed clock
 * ticks since boot (monotonic, 10 ms at the usual 100 ticks a second), and 4-argument select takes
 * fractions of a second.
 *
 * A check gets its own process group (setpgid in the child and in the helper, so a kill cannot miss
 * a child that has not run yet), stdin /dev/null, cwd /, and two pipes for stdout and stderr, of
 * which the first 1 KiB each is kept (the rest is read and dropped, so a chatty check never blocks).
 * At its deadline the whole group gets SIGKILL (no TERM and grace: a check is a probe with nothing to
 * tidy up, and its verdict is due now) and the timeout is reported at once, not at the reap:
 * a check stuck in uninterruptible sleep (a hung NFS mount) still answers on time. When a check's
 * process exits, whatever it left in its group (`sleep 1000 &`) is killed too. When the agent closes
 * the helper's stdin (or dies), or the helper gets TERM, INT or HUP, every running group is killed.
 *
 * SIGCHLD interrupts select. perl runs handlers only between operations, so one that comes while
 * the loop is busy (typically just after the check's pipes reached end of file) only sets a flag,
 * and select does not wait when it is set; one that comes in the few operations between that test
 * and select itself waits for the timeout: while checks run, select waits at most 50 ms, which
 * bounds that rare delay.
 */
export const EXEC_HELPER_PERL = String.raw`
use strict; use warnings;
use POSIX qw(:sys_wait_h setpgid dup2 _exit);
use IO::Select; use IO::Handle;
$0 = 'ipfo exec-check helper';
my $TICKS = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
my $KEEP = 1024;
sub now_ms { return (POSIX::times())[0] * 1000 / $TICKS }
my (%runs, %reader);
my $select = IO::Select->new(\*STDIN);
STDIN->blocking(0);
$SIG{PIPE} = 'IGNORE';
my $chld = 0;
$SIG{CHLD} = sub { $chld = 1 };
$SIG{$_} = sub { stop_all(); exit 0 } for qw(TERM INT HUP);

sub say_line { my $line = shift; syswrite(STDOUT, "$line\n") }
sub hex_of { return 'x' . unpack('H*', shift) }

# Kills every running check and reaps them (for at most a second: a process in uninterruptible
# sleep dies only when its IO ends, and init reaps it then).
sub stop_all {
  kill('-KILL', $_) for keys %runs;
  my $end = now_ms() + 1000;
  while (%runs && now_ms() < $end) {
    my $pid = waitpid(-1, WNOHANG);
    last if $pid < 0;
    if ($pid > 0) { delete $runs{$pid} } else { select(undef, undef, undef, 0.01) }
  }
}

sub start_run {
  my ($id, $timeout, @argv) = @_;
  my ($out_r, $out_w, $err_r, $err_w, $st_r, $st_w);
  pipe($out_r, $out_w) && pipe($err_r, $err_w) && pipe($st_r, $st_w)
    or return say_line("done $id error " . ($! + 0) . ' 0 0 x x');
  my $started = now_ms();
  my $pid = fork();
  if (!defined $pid) { return say_line("done $id error " . ($! + 0) . ' 0 0 x x') }
  if ($pid == 0) {
    setpgid(0, 0);
    POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new());
    $SIG{$_} = 'DEFAULT' for qw(PIPE CHLD TERM INT HUP);
    my $null = POSIX::open('/dev/null', POSIX::O_RDONLY());
    dup2($null, 0) if defined $null;
    dup2(fileno($out_w), 1); dup2(fileno($err_w), 2);
    chdir('/');
    { no warnings 'exec'; exec { $argv[0] } @argv; }
    syswrite($st_w, ($! + 0) . '');
    _exit(127);
  }
  setpgid($pid, $pid);
  close($out_w); close($err_w); close($st_w);
  $_->blocking(0) for ($out_r, $err_r, $st_r);
  my $run = { id => $id, pid => $pid, started => $started, deadline => $started + $timeout,
    out => $out_r, err => $err_r, status => $st_r, kept => { out => '', err => '' } };
  $runs{$pid} = $run;
  $reader{fileno($out_r)} = [$run, 'out'];
  $reader{fileno($err_r)} = [$run, 'err'];
  $select->add($out_r, $err_r);
  say_line("started $id $pid");
}

# Reads what a check wrote so far; false at end of file.
sub drain {
  my ($run, $which) = @_;
  my $fh = $run->{$which} or return 0;
  while (1) {
    my $n = sysread($fh, my $chunk, 65536);
    if (!defined $n) { return 1 if $!{EAGAIN} || $!{EINTR}; $n = 0 }
    if ($n == 0) { $select->remove($fh); delete $reader{fileno($fh)}; close($fh); $run->{$which} = undef; return 0 }
    my $room = $KEEP - length($run->{kept}{$which});
    $run->{kept}{$which} .= substr($chunk, 0, $room) if $room > 0;
  }
}

sub finish {
  my ($run, $how, $value, $left) = @_;
  return if $run->{reported}++;
  my $ms = int(now_ms() - $run->{started} + 0.5);
  say_line("done $run->{id} $how $value $ms $left " . hex_of($run->{kept}{out}) . ' ' . hex_of($run->{kept}{err}));
}

sub reap {
  $chld = 0;
  while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
    my $status = $?;
    my $run = delete $runs{$pid} or next;
    # What it left in its group dies with it (as with hooks): a check is done when nothing of it runs.
    my $left = kill('-KILL', $pid) ? 1 : 0;
    for my $which ('out', 'err') {
      drain($run, $which);
      next unless $run->{$which};
      $select->remove($run->{$which}); delete $reader{fileno($run->{$which})}; close($run->{$which});
    }
    my $errno = '';
    sysread($run->{status}, $errno, 32); close($run->{status});
    if ($errno ne '') { finish($run, 'noexec', $errno + 0, 0) }
    elsif (WIFSIGNALED($status)) { finish($run, 'signal', WTERMSIG($status), $left) }
    else { finish($run, 'exit', WEXITSTATUS($status), $left) }
  }
}

sub expire {
  my $now = now_ms();
  for my $run (values %runs) {
    next if $run->{reported} || $now < $run->{deadline};
    kill('-KILL', $run->{pid});
    finish($run, 'timeout', 0, 0);
  }
}

sub request {
  my @field = split(/ /, shift, -1);
  my ($verb, $id, $timeout, @args) = @field;
  if (@field < 4 || $verb ne 'run' || $id !~ /^\d+$/ || $timeout !~ /^\d+$/ || grep { !/^x(?:[0-9a-f]{2})*$/ } @args) {
    print STDERR "ipfo exec-check helper: malformed request ignored\n";
    return;
  }
  start_run($id, $timeout, map { pack('H*', substr($_, 1)) } @args);
}

my $input = '';
while (1) {
  my $wait;
  if (%runs) {
    my $next;
    for my $run (values %runs) { $next = $run->{deadline} if !$run->{reported} && (!defined $next || $run->{deadline} < $next) }
    $wait = defined $next ? ($next - now_ms()) / 1000 : 0.05;
    $wait = 0 if $wait < 0;
    $wait = 0.05 if $wait > 0.05;
  }
  $wait = 0 if $chld;
  for my $fh ($select->can_read($wait)) {
    if (fileno($fh) == 0) {
      my $n = sysread(STDIN, $input, 65536, length $input);
      next if !defined $n && ($!{EAGAIN} || $!{EINTR});
      if (!$n) { stop_all(); exit 0 }
      request($1) while $input =~ s/^([^\n]*)\n//;
    } elsif (my $what = $reader{fileno($fh)}) {
      drain(@$what);
    }
  }
  reap();
  expire();
}
`
