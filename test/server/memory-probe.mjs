// Test instrumentation preloaded into a spawned server (node --expose-gc --import this file): on an IPC
// message { cmd: 'start', gc } it records a baseline and samples memory every 10 ms (after a full GC when
// `gc` is set, so only memory actually held counts); on { cmd: 'stop' } it replies with the peak growth.
let timer;
let peak;
let base;
const held = (m) => m.heapUsed + m.arrayBuffers;
process.on('message', (msg) => {
  if (msg?.cmd === 'start') {
    if (msg.gc) globalThis.gc();
    const m = process.memoryUsage();
    base = { rss: m.rss, held: held(m) };
    peak = { rss: 0, held: 0, samples: 0 };
    timer = setInterval(() => {
      if (msg.gc) globalThis.gc();
      const s = process.memoryUsage();
      peak.rss = Math.max(peak.rss, s.rss - base.rss);
      peak.held = Math.max(peak.held, held(s) - base.held);
      peak.samples++;
    }, 10);
    process.send({ cmd: 'started' });
  } else if (msg?.cmd === 'stop') {
    clearInterval(timer);
    process.send({ cmd: 'peak', ...peak });
  }
});
