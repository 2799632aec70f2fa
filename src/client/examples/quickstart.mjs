// Two users exchange end-to-end-encrypted messages (Node 20+, after `npm install @sealed-relay/client`),
// against a running server: `npm start` in the sealed-relay repo, or set SEALED_RELAY_URL.
import { createFileStore, openNodeClient, registerNodeClient } from '@sealed-relay/client';

const url = process.env.SEALED_RELAY_URL ?? 'http://localhost:4000/graphql';
const run = Math.random().toString(36).slice(2, 8); // usernames are unique per server

// A device is its store: keys, sessions and messages, here in a folder each.
const aliceStore = `./store-alice-${run}`;
const bobStore = `./store-bob-${run}`;
const alice = await registerNodeClient({ url, store: createFileStore(aliceStore) }, { username: `alice_${run}`, displayName: 'Alice' });
const bob = await registerNodeClient({ url, store: createFileStore(bobStore) }, { username: `bob_${run}`, displayName: 'Bob' });
for (const [name, client] of [['alice', alice], ['bob', bob]]) client.events.on('error', (e) => console.error(name, e));

const nextMessage = (client) => new Promise((resolve) => client.events.on('message', resolve));
await alice.start();
await bob.start();

const conversation = await alice.createDirectConversation(bob.userId);
const toBob = nextMessage(bob);
await alice.sendMessage(conversation.id, 'Hello Bob, only you can read this.');
console.log(`Bob received: ${(await toBob).content.body}`);

// After a restart, the same store opens the same device, with its sessions.
await bob.stop();
const bobAgain = await openNodeClient({ url, store: createFileStore(bobStore) });
await bobAgain.start();
const toAlice = nextMessage(alice);
await bobAgain.sendMessage(conversation.id, 'Hi Alice, from the same device after a restart.');
console.log(`Alice received: ${(await toAlice).content.body}`);

await Promise.all([alice.stop(), bobAgain.stop()]);
