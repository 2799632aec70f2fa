// Protocol limits, from libsignal rust/protocol/src/consts.rs (same values, same reasons).

/** Skipped message keys kept per receiving chain; the oldest are dropped past this (bounds memory). */
export const MAX_MESSAGE_KEYS = 2000;
/** A counter this far past a chain's position is refused: deriving that many keys is a DoS vector. */
export const MAX_FORWARD_JUMPS = 25_000;
/** Receiving chains kept per session; older ones (and their skipped keys) are dropped. */
export const MAX_RECEIVER_CHAINS = 5;
/** Previous sessions archived per remote address and tried on decryption. */
export const ARCHIVED_STATES_MAX_LENGTH = 40;
/** An initiator stops sending PreKey messages on a session no reply has confirmed after 30 days. */
export const MAX_UNACKNOWLEDGED_SESSION_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/** Message version byte high nibble: 3 = X3DH session, 4 = PQXDH session. */
export const PRE_KYBER_VERSION = 3;
export const KYBER_AWARE_VERSION = 4;
/** Low nibble of every version byte libsignal writes. */
export const CIPHERTEXT_MESSAGE_CURRENT_VERSION = 4;
export const MAC_LENGTH = 8;

// Sender Keys (libsignal group messages). Measured black-box against libsignal-client 0.72.1-0.103.0: a
// receiver keeps at most 2,000 skipped message keys per sender-key state (oldest dropped) and refuses an
// iteration more than 25,000 past its chain (25,000 itself is accepted): the same MAX_MESSAGE_KEYS and
// MAX_FORWARD_JUMPS as the Double Ratchet, for the same reasons (memory; HMAC work an attacker can demand).

/**
 * Sender-key states kept per (sender, distribution id) record, newest first; a sixth distribution drops the
 * oldest. Several are kept so messages still in flight on a sender's previous chain (after it rotated its
 * sender key) decrypt, while a record's size stays bounded.
 */
export const MAX_SENDER_KEY_STATES = 5;
/** Version of SenderKeyMessage / SenderKeyDistributionMessage libsignal writes: version byte 0x33. */
export const SENDERKEY_MESSAGE_CURRENT_VERSION = 3;
