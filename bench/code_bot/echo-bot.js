#!/usr/bin/env node
// The echo code bot of the benchmarks (bench/README.md): answers each event
// (docs/bot-contract.md) with "echo: <text>", as the declarative echo bot does, after checking
// its signature as any bot should. Plain Node.js, no dependencies.
//
// It takes paige-bench's command line for the process under test (`serve --listen
// 127.0.0.1:0 --data-dir DIR`) and logs the same "listening" line on stderr. The projects'
// bot secrets are read from DIR/secrets.json ({"<project id>": "<secret>"}), written by
// paige-bench once Paige made them; it is read again when a project is not in it yet.
'use strict';
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const dataDir = args[args.indexOf('--data-dir') + 1];
let secrets = {};

function secretOf(project) {
  if (!(project in secrets)) {
    try {
      secrets = JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8'));
    } catch (e) {
      secrets = {};
    }
  }
  return secrets[project];
}

function signed(req, body, project) {
  const secret = secretOf(project);
  if (!secret) return false;
  const ts = req.headers['paige-timestamp'] || '';
  const expected = 'sha256=' + crypto.createHmac('sha256', secret).update(ts + '.').update(body).digest('hex');
  const given = Buffer.from(req.headers['paige-signature'] || '');
  return given.length === expected.length && crypto.timingSafeEqual(given, Buffer.from(expected));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    let event;
    try {
      event = JSON.parse(body);
    } catch (e) {
      res.writeHead(400).end();
      return;
    }
    if (req.method !== 'POST' || req.url !== '/paige/events' || !signed(req, body, event.project_id)) {
      res.writeHead(401).end();
      return;
    }
    const answer = JSON.stringify({
      actions: [{ send: { type: 'text', text: { body: 'echo: ' + event.message.text } } }],
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
    res.end(answer);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  process.stderr.write('event=http.listening addr=127.0.0.1:' + server.address().port + '\n');
});
process.on('SIGTERM', () => process.exit(0));
