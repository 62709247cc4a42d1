// The echo code bot of the benchmarks as Paige hosts it (--bot hosted, bench/README.md): the
// same answer as echo-bot.js ("echo: <text>", signature checked), with the hosted contract's
// environment (docs/bot-contract.md): PORT, PAIGE_BOT_SECRET, GET /health. No dependencies.
'use strict';
const http = require('http');
const crypto = require('crypto');

const secret = process.env.PAIGE_BOT_SECRET;

function signed(req, body) {
  const ts = req.headers['paige-timestamp'] || '';
  const expected = 'sha256=' + crypto.createHmac('sha256', secret).update(ts + '.').update(body).digest('hex');
  const given = Buffer.from(req.headers['paige-signature'] || '');
  return given.length === expected.length && crypto.timingSafeEqual(given, Buffer.from(expected));
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.method !== 'POST' || req.url !== '/paige/events' || !signed(req, body)) {
      res.writeHead(401).end();
      return;
    }
    const event = JSON.parse(body);
    const answer = JSON.stringify({
      actions: [{ send: { type: 'text', text: { body: 'echo: ' + event.message.text } } }],
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
    res.end(answer);
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
