/** Where Debian and Ubuntu's netatalk 3.1 package keeps its configuration. */
export const DEFAULT_AFP_CONF_PATH = '/etc/netatalk/afp.conf'

/** afpd's state directory on Debian and Ubuntu: afp_voluuid.conf, afp_signature.conf, CNID/. */
export const DEFAULT_NETATALK_STATE_DIR = '/var/lib/netatalk'

export const DEFAULT_VOLUUID_PATH = `${DEFAULT_NETATALK_STATE_DIR}/afp_voluuid.conf`
export const DEFAULT_SIGNATURE_PATH = `${DEFAULT_NETATALK_STATE_DIR}/afp_signature.conf`
