/**
 * The guard: a small perl program the agent starts beside itself (`perl -e GUARD_PERL -- <node>
 * <reporter>`), in its own session, with a pipe on its stdin. It reads what the agent tells it
 * (`adapters/guard-protocol.ts` writes the lines) until that pipe closes. A stand-down before the
 * close is a clean stop: it exits doing nothing. Otherwise the agent died without a word (kill -9,
 * a crash, an OOM kill) and the guard does what the last brief said: it removes the addresses a live
 * peer will take, and only once every one of them is gone sends the last word on every link, so the
 * peer takes over at once and never while this host still answers for an address. The others it
 * leaves in place. Then it becomes the reporter (`exec` of Node on the CLI's guard report), which logs
 * what it did in the agent's log and leaves a record for the next agent.
 *
 * Why perl and not Node: it idles at about 8 MB RSS (4.5 MB PSS) instead of 48 (11), and starts in
 * about 10 ms of CPU instead of some 100 (two Node starts on a busy two-core host left the running agents unscheduled past
 * deadAfter). Shipped as a string because the package is published as compiled JS.
 *
 * Only perl-base modules (Essential on Debian and Ubuntu): POSIX, Socket, IO::Select. Time::HiRes
 * (in libperl on Debian, which the full perl brings; not in slim images) is used when present, for
 * the report's millisecond times; without it they are the tick clock's (10 ms).
 * Nothing is set up at the agent's death that could be set up before: the sockets are bound and the
 * targets resolved when the agent says hello, so the last word needs no lookup. (A target whose name
 * could not be resolved then is tried once more, after every resolved target has had its copies.)
 *
 * Before removing, on Linux, it ends the dead agent's `ip -batch` (one an add was written to just
 * before the crash could land after the remove; the kernel does a netlink request whole or not at
 * all), but only when the agent led its own process group (a service manager starts it so, as does
 * a detached start): a group it shared (a shell's job, a test runner's) holds other programs' too.
 *
 * Each removal is its own `ip addr del` (`ifconfig ... -alias` on macOS), all at once. One not done
 * after 10 s (the optional third argument, in ms) is killed, waited for a second more, and reported
 * as a failure; an address already gone counts as removed. A line cut short (no newline: the agent
 * died in the middle of writing it) is passed over, never acted on: a brief cut between two of its
 * addresses would otherwise read as a shorter one. Each link's word goes out three times, 5 ms
 * apart, to every target of the link: a lost datagram must not cost the peer deadAfter, and a later
 * copy is refused as a replay, harmlessly.
 */
export const GUARD_PERL = String.raw`
use strict; use warnings;
use POSIX ();
use IO::Select;
use Socket qw(getaddrinfo AF_INET AF_INET6 SOCK_DGRAM SOL_SOCKET SO_BROADCAST AI_NUMERICHOST AI_PASSIVE);
$0 = 'ipfo guard';
my ($NODE, $REPORTER, $REMOVAL_MS) = @ARGV;
$REMOVAL_MS = 10_000 unless defined $REMOVAL_MS && $REMOVAL_MS =~ /^\d+\z/;
$SIG{$_} = 'IGNORE' for qw(TERM INT HUP PIPE);
my $PARENT = getppid();
my $HIRES = eval { require Time::HiRes; 1 };
my $MONO = $HIRES && eval { Time::HiRes::clock_gettime(Time::HiRes::CLOCK_MONOTONIC()); 1 };
my $TICKS = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
sub now_ms {
  return Time::HiRes::clock_gettime(Time::HiRes::CLOCK_MONOTONIC()) * 1000 if $MONO;
  return (POSIX::times())[0] * 1000 / $TICKS;
}
sub wall_ms { return $HIRES ? int(Time::HiRes::time() * 1000) : time() * 1000 }
sub sleep_ms { select(undef, undef, undef, $_[0] / 1000) }
sub say_err { syswrite(STDERR, "ipfo guard: $_[0]\n") }
sub dec { my $s = shift; $s =~ s/%([0-9A-Fa-f]{2})/chr(hex $1)/ge; return $s }

# An out-of-memory kill of the agent is one of the deaths the guard is for: it must not go first.
if ($^O eq 'linux' && open(my $oom, '>', '/proc/self/oom_score_adj')) { print $oom "-900\n"; close $oom }

sub stat_of {
  my $pid = shift;
  open(my $f, '<', "/proc/$pid/stat") or return;
  my $stat = <$f>; close $f;
  # After the last ')': a process's name may hold one.
  return unless defined $stat && $stat =~ /^.*\)\s(.*)\z/s;
  return split / /, $1;
}

my (%hello, %links, %sockets, @hand, @keep, @words, $stood_down, $agent, $agent_pgid);

sub bad { say_err("a line from the agent it cannot read ($_[0]): " . substr($_[1], 0, 120)) }

# One socket per local address, bound now; every target resolved now (one that cannot be is tried
# again at the agent's death, and the others still get the word).
sub resolve_target {
  my ($link, $t) = @_;
  my ($err, $ai) = getaddrinfo($t->{host}, $t->{port}, { family => $link->{family}, socktype => SOCK_DGRAM });
  if ($err || !$ai) { $t->{error} = "resolving $t->{host}: " . ($err || 'no address'); delete $t->{addr} }
  else { $t->{addr} = $ai->{addr}; delete $t->{error} }
}
sub add_link {
  my ($name, $listen, @pairs) = @_;
  my %link = (name => $name, targets => []);
  $links{$name} = \%link;
  my $v6 = $listen ne '' ? $listen =~ /:/ : grep({ /:/ } @pairs[grep { $_ % 2 == 0 } 0 .. $#pairs]);
  $link{family} = $v6 ? AF_INET6 : AF_INET;
  my $local = $listen ne '' ? $listen : $v6 ? '::' : '0.0.0.0';
  my $socket = $sockets{$local};
  if (!$socket) {
    my ($err, $ai) = getaddrinfo($local, 0, { family => $link{family}, socktype => SOCK_DGRAM, flags => AI_NUMERICHOST | AI_PASSIVE });
    if ($err) { $link{error} = "the listen address $local: $err"; return }
    socket($socket, $link{family}, SOCK_DGRAM, 0) or do { $link{error} = "a socket for $local: $!"; return };
    bind($socket, $ai->{addr}) or do { $link{error} = "binding $local: $!"; return };
    setsockopt($socket, SOL_SOCKET, SO_BROADCAST, 1) unless $v6;
    $sockets{$local} = $socket;
  }
  $link{socket} = $socket;
  while (my ($host, $port) = splice(@pairs, 0, 2)) {
    my $t = { host => $host, port => $port };
    resolve_target(\%link, $t);
    push @{$link{targets}}, $t;
  }
}

while (defined(my $line = <STDIN>)) {
  if ($line !~ s/\n\z//) { bad('cut short: the agent died while writing it', $line); next }
  next if $line =~ /^\s*\z/;
  my ($t, @f) = split / /, $line, -1;
  @f = map { dec($_) } @f;
  if ($t eq 'hello') {
    if (@f != 7 || $f[0] eq '' || $f[1] !~ /^(?:linux|darwin)\z/ || $f[2] !~ /^\d*\z/ || ($f[2] eq '') == ($f[3] eq '') || $f[5] eq '' || $f[6] !~ /^\d+\z/) { bad('hello: node, platform, log fd or path, event log, state folder, agent pid', $line); next }
    %hello = (node => $f[0], platform => $f[1], logFd => $f[2], logPath => $f[3], eventLog => $f[4], stateDir => $f[5]);
    %links = (); close($_) for values %sockets; %sockets = ();
    # The agent that started this guard, if it is still its parent (not if it died before perl ran).
    $agent = $f[6] == $PARENT ? $PARENT : undef;
    $agent_pgid = undef;
    if ($f[1] eq 'linux' && defined $agent) { my @s = stat_of($agent); $agent_pgid = $s[2] }
  } elsif ($t eq 'link') {
    if (@f < 2 || $f[0] eq '' || @f % 2 != 0 || grep({ !/^\d+\z/ || $_ < 1 || $_ > 65535 } @f[map { 2 * $_ + 3 } 0 .. (@f - 4) / 2])) { bad('link: name, listen address, then host and port pairs', $line); next }
    add_link(@f);
  } elsif ($t eq 'brief') {
    if (@f % 5 != 0) { bad('brief: groups of hand-or-keep, interface, ip, prefix, family', $line); next }
    my (@h, @k, $ok);
    $ok = 1;
    while (my ($kind, $interface, $ip, $prefix, $family) = splice(@f, 0, 5)) {
      if ($kind !~ /^[hk]\z/ || $interface eq '' || $ip eq '' || $prefix !~ /^\d+\z/ || $prefix > 128 || $family !~ /^[46]\z/) { $ok = 0; last }
      push @{$kind eq 'h' ? \@h : \@k}, { interface => $interface, ip => $ip, prefix => $prefix, family => $family };
    }
    if (!$ok) { bad('brief: groups of hand-or-keep, interface, ip, prefix, family', $line); next }
    @hand = @h; @keep = @k;
  } elsif ($t eq 'word') {
    if (@f % 2 != 0 || grep({ !/^(?:[0-9a-f]{2})*\z/ } @f[map { 2 * $_ + 1 } 0 .. @f / 2 - 1])) { bad('word: link and hex pairs', $line); next }
    @words = ();
    while (my ($link, $hex) = splice(@f, 0, 2)) { push @words, { link => $link, data => pack('H*', $hex) } }
  } elsif ($t eq 'stand-down') {
    $stood_down = 1;
  } else {
    bad('expected hello, link, brief, word or stand-down', $line);
  }
}
my $closed = now_ms();
# A clean stop, an agent that died before saying who it was, or nothing to hand over or keep.
exit 0 if $stood_down || !%hello || (!@hand && !@keep);

sub key_of { my $a = shift; return "$a->{ip}/$a->{prefix}\@$a->{interface}" }
my @failures;

# The dead agent's ip -batch processes, killed until none is left (500 ms at most).
sub end_leftovers {
  return unless defined $agent && defined $agent_pgid && $agent_pgid == $agent;
  my $until = now_ms() + 500;
  for (;;) {
    my @left;
    opendir(my $proc, '/proc') or return "reading /proc: $!";
    for my $pid (grep { /^\d+$/ } readdir $proc) {
      my @s = stat_of($pid);
      next unless @s && $s[2] == $agent_pgid && $s[0] ne 'Z';
      open(my $c, '<', "/proc/$pid/cmdline") or next;
      my @argv = split /\0/, do { local $/; <$c> // '' }; close $c;
      push @left, $pid if @argv && $argv[0] =~ m{(?:^|/)ip$} && grep { $_ eq '-batch' } @argv;
    }
    closedir $proc;
    return if !@left;
    return "the dead agent's ip -batch (pid " . join(', ', @left) . ") still ran 500 ms after SIGKILL" if now_ms() > $until;
    kill 'KILL', @left;
    sleep_ms(1);
  }
}
if (@hand && $hello{platform} eq 'linux') { my $left = end_leftovers(); push @failures, $left if $left }

# Every removal at once, each its own process; its output kept for the report.
my (@runs, @removed);
for my $a (@hand) {
  my @argv = $hello{platform} eq 'linux' ? ('ip', 'addr', 'del', "$a->{ip}/$a->{prefix}", 'dev', $a->{interface})
    : $a->{family} == 4 ? ('ifconfig', $a->{interface}, '-alias', $a->{ip})
    : ('ifconfig', $a->{interface}, 'inet6', $a->{ip}, '-alias');
  my ($r, $w);
  if (!pipe($r, $w)) { push @failures, "removing " . key_of($a) . ": a pipe: $!"; next }
  my $pid = fork();
  if (!defined $pid) { push @failures, "removing " . key_of($a) . ": fork: $!"; next }
  if ($pid == 0) {
    close $r;
    open(STDIN, '<', '/dev/null'); open(STDOUT, '>&', $w); open(STDERR, '>&', $w);
    { no warnings 'exec'; exec { $argv[0] } @argv }
    syswrite($w, "cannot run $argv[0]: $!\n");
    POSIX::_exit(127);
  }
  close $w;
  push @runs, { address => $a, argv => \@argv, pid => $pid, out => $r, text => '' };
}
# Each one's output and exit, within the deadline: output until the pipe closes, then the exit.
my $reading = IO::Select->new(map { $_->{out} } @runs);
my %run_of = map { (fileno($_->{out}) => $_) } @runs;
sub reap {
  my $run = shift;
  return 1 if defined $run->{status};
  my $pid = waitpid($run->{pid}, POSIX::WNOHANG());
  if ($pid == $run->{pid}) { $run->{status} = $?; return 1 }
  if ($pid < 0) { $run->{status} = -1; return 1 }
  return 0;
}
my $deadline = now_ms() + $REMOVAL_MS;
while ((my $left = $deadline - now_ms()) > 0) {
  if ($reading->count) {
    for my $fh ($reading->can_read($left / 1000)) {
      my $run = $run_of{fileno $fh};
      my $n = sysread($fh, my $chunk, 4096);
      next if !defined $n && ($!{EINTR} || $!{EAGAIN});
      if ($n) { $run->{text} .= $chunk if length($run->{text}) < 4096; next }
      $run->{text} .= "(reading its output: $!)" if !defined $n;
      $reading->remove($fh);
    }
  } else {
    last if !grep { !reap($_) } @runs;
    sleep_ms(1);
  }
}
# Past the deadline: what has not ended is killed and given a second more to go.
for my $run (grep { !reap($_) } @runs) { kill 'KILL', $run->{pid}; $run->{late} = 1 }
my $grace = now_ms() + 1000;
sleep_ms(1) while grep({ !reap($_) } @runs) && now_ms() < $grace;
for my $run (@runs) {
  close $run->{out};
  my $a = $run->{address};
  my $what = "removing $a->{ip}/$a->{prefix} from $a->{interface}: " . join(' ', @{$run->{argv}});
  my $out = $run->{text};
  $out =~ s/\s+\z//; $out =~ s/\n/; /g;
  $out = $out eq '' ? '' : ": $out";
  my $status = $run->{status};
  my $gone = $hello{platform} eq 'linux' ? qr/Cannot assign requested address|address not found/i : qr/Can't assign requested address/i;
  if (!defined $status) { push @failures, "$what did not end $REMOVAL_MS ms after it started, nor after SIGKILL$out" }
  elsif ($run->{late}) { push @failures, "$what still ran $REMOVAL_MS ms after it started; killed$out" }
  elsif ($status == -1) { push @failures, "$what could not be waited for$out" }
  elsif ($status == 0 || $out =~ $gone) { push @removed, key_of($a) }
  else { push @failures, $what . ($status & 127 ? ' died of signal ' . ($status & 127) : ' exited ' . ($status >> 8)) . $out }
}
my $took = now_ms() - $closed;

# A word while an address is still here would have the peer add it too: then it waits for deadAfter.
# (The brief is all or nothing: with anything to keep, nothing is handed over and no word goes out.)
my @last_word;
if (!@failures && @removed) {
  my (%error, $first);
  # Every copy to every target resolved at the hello first; the others once after (a lookup may wait).
  for my $copy (0 .. 3) {
    sleep_ms(5) if $copy == 1 || $copy == 2;
    for my $word (@words) {
      my $link = $links{$word->{link}};
      if (!$link) { $error{$word->{link}} = "no link named $word->{link} in the agent's hello"; next }
      if ($link->{error}) { $error{$word->{link}} = $link->{error}; next }
      for my $t (@{$link->{targets}}) {
        if ($copy == 3) { next if $t->{sent} || !$t->{error}; resolve_target($link, $t) }
        if ($t->{error}) { $t->{why} = $t->{error}; next }
        if (defined send($link->{socket}, $word->{data}, 0, $t->{addr})) { $t->{sent} = 1 }
        else { $t->{why} = "sending to $t->{host} port $t->{port}: $!" }
      }
      $first //= now_ms() - $closed if $copy < 3 && !grep { !$_->{sent} } @{$link->{targets}};
    }
  }
  $took = $first if defined $first;
  for my $word (@words) {
    my $link = $links{$word->{link}};
    my ($missed) = $link && !$link->{error} ? grep { !$_->{sent} } @{$link->{targets}} : ();
    if (!defined $error{$word->{link}} && !$missed) { push @last_word, $word->{link} }
    else { push @failures, "last word on $word->{link}: " . ($error{$word->{link}} // $missed->{why}) }
  }
}

sub js {
  my $s = shift;
  $s =~ s/(["\\])/\\$1/g;
  $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
  return qq("$s");
}
sub list { return '[' . join(',', map { js($_) } @_) . ']' }
my $report = '{' . join(',',
  '"time":' . wall_ms(),
  '"node":' . js($hello{node}),
  '"removed":' . list(@removed),
  '"kept":' . list(map { key_of($_) } @keep),
  '"lastWord":' . list(@last_word),
  '"failures":' . list(@failures),
  '"tookMs":' . sprintf('%.1f', $took < 0 ? 0 : $took),
  ($hello{logFd} ne '' ? '"log":' . ($hello{logFd} + 0) : '"log":' . js($hello{logPath})),
  ($hello{eventLog} ne '' ? ('"eventLog":' . js($hello{eventLog})) : ()),
  '"stateDir":' . js($hello{stateDir}),
) . '}';
# What it did is done: the rest, logging it, is Node's (the agent's own logger and record files), at
# a lower priority: starting Node takes some 100 ms of CPU, which the host's other work comes before.
POSIX::nice(10);
if (defined $NODE && defined $REPORTER) { exec { $NODE } $NODE, $REPORTER, $report }
say_err('could not start the report (' . ($NODE // 'no node') . ' ' . ($REPORTER // 'no reporter') . "): $!; what it did: $report");
exit 1;
`
