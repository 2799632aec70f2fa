// Records test/vectors/libsignal-sender-key.json from libsignal-client 0.103.0 (its public API only):
//   npx tsx test/protocol/interop/record-sender-key-vector.ts > test/vectors/libsignal-sender-key.json
// A sender's distribution message and group messages, and the records libsignal keeps on both sides, so
// the Sender Keys known-answer test runs without the native package (e.g. in a browser).
import * as S from 'libsignal-0103';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const records = new Map<string, S.SenderKeyRecord>();
const store = (prefix: string) =>
  new (class extends S.SenderKeyStore {
    async saveSenderKey(a: S.ProtocolAddress, d: string, r: S.SenderKeyRecord) {
      records.set(`${prefix}/${a.name()}.${a.deviceId()}/${d}`, r);
    }
    async getSenderKey(a: S.ProtocolAddress, d: string) {
      return records.get(`${prefix}/${a.name()}.${a.deviceId()}/${d}`) ?? null;
    }
  })();

const distributionId = 'd1d1d1d1-7000-11eb-b32a-33b8a8a487a6';
const sender = S.ProtocolAddress.new('alice', 1);
const senderStore = store('sender');
const receiverStore = store('receiver');
const skdm = await S.SenderKeyDistributionMessage.create(sender, distributionId, senderStore);
await S.processSenderKeyDistributionMessage(sender, skdm, receiverStore);
const messages: { iteration: number; plaintext: string; body: string }[] = [];
for (let i = 0; i <= 10; i++) {
  const plaintext = new TextEncoder().encode(`vector message ${i}`);
  const m = await S.groupEncrypt(sender, distributionId, senderStore, plaintext);
  messages.push({ iteration: i, plaintext: hex(plaintext), body: hex(m.serialize()) });
}
const receiveOrder = [3, 0, 10];
for (const i of receiveOrder) await S.groupDecrypt(sender, receiverStore, Buffer.from(messages[i].body, 'hex'));
process.stdout.write(
  JSON.stringify(
    {
      _source: 'libsignal-client 0.103.0 public API (SenderKeyDistributionMessage.create, groupEncrypt, groupDecrypt, SenderKeyRecord.serialize), recorded by test/protocol/interop/record-sender-key-vector.ts',
      distributionId,
      sender: { name: 'alice', deviceId: 1 },
      distributionMessage: hex(skdm.serialize()),
      messages,
      receiveOrder,
      receiverRecordAfter: hex(records.get(`receiver/alice.1/${distributionId}`)!.serialize()),
      senderRecordAfter: hex(records.get(`sender/alice.1/${distributionId}`)!.serialize()),
    },
    null,
    2,
  ) + '\n',
);
