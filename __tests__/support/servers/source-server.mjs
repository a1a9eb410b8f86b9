// A loopback HTTP server of QEMU source tarballs, with faults on request, run by the tests in a
// process of its own (they block their own event loop with spawnSync while the action downloads).
//
//   node source-server.mjs DIR LOG
//
// GET /<kind>/<name> for a file <name> in DIR:
//   file         the file (with its Content-Length)
//   status-500   HTTP 500, always
//   status-503   HTTP 503, always
//   drop         the headers announce the whole file, half of it comes, then the connection is cut
//   fail-once    503 the first time this path is asked for, then the file
//   trickle      the headers announce the whole file, then a KiB of it every 100 ms (a download
//                that takes hours: for the tests that cancel one)
// Anything else, or a file not in DIR, is a 404. Every path asked for is appended to LOG, one
// a line. The port is printed on stdout once the server listens on 127.0.0.1.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [dir, log] = process.argv.slice(2);
if (!dir || !log) {
  process.stderr.write('usage: source-server.mjs DIR LOG\n');
  process.exit(2);
}

const seen = new Map();
const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  fs.appendFileSync(log, `${url}\n`);
  const n = (seen.get(url) ?? 0) + 1;
  seen.set(url, n);
  const [, kind, name] = url.split('/');
  const file = path.join(dir, name ?? '');
  if (!name || !fs.existsSync(file)) return res.writeHead(404).end('not here\n');
  const size = fs.statSync(file).size;
  const send = () => {
    res.writeHead(200, { 'Content-Length': size });
    fs.createReadStream(file).pipe(res);
  };
  if (kind === 'file' || (kind === 'fail-once' && n > 1)) send();
  else if (kind === 'status-500') res.writeHead(500).end('boom\n');
  else if (kind === 'status-503' || kind === 'fail-once') res.writeHead(503).end('busy\n');
  else if (kind === 'drop') {
    res.writeHead(200, { 'Content-Length': size });
    const half = fs.createReadStream(file, { end: Math.floor(size / 2) });
    half.pipe(res, { end: false });
    half.on('end', () => setTimeout(() => res.socket?.destroy(), 20));
  } else if (kind === 'trickle') {
    res.writeHead(200, { 'Content-Length': size });
    const fd = fs.openSync(file, 'r');
    let at = 0;
    const tick = setInterval(() => {
      const chunk = Buffer.alloc(Math.min(1024, size - at));
      at += fs.readSync(fd, chunk, 0, chunk.length, at);
      res.write(chunk);
      if (at >= size) res.end();
    }, 100);
    res.on('close', () => {
      clearInterval(tick);
      fs.closeSync(fd);
    });
  } else res.writeHead(404).end('not here\n');
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
