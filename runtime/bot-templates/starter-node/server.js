// The bot's HTTP side (docs/bot-contract.md): Paige posts each inbound message's event to
// POST /paige/events, signed with PAIGE_BOT_SECRET; the answer is {"actions": [...]}.
// Environment: PORT (0: any free port), PAIGE_BOT_SECRET, DATABASE_URL (the project's database,
// its own role), BOT_MODULE (default ./bot: a module exporting handle(event) and tables).
'use strict';
const express = require('express');
const { signedByPaige } = require('./contract');
const db = require('./dbServices');

const bot = require(process.env.BOT_MODULE || './bot');
const secret = process.env.PAIGE_BOT_SECRET;
if (!secret) throw new Error('PAIGE_BOT_SECRET is not set');

const app = express();
app.use(express.json({ limit: '1mb', verify: (req, _res, buf) => { req.rawBody = buf; } }));

app.post('/paige/events', async (req, res) => {
  if (!signedByPaige(req, secret)) return res.status(401).json({ error: 'bad signature' });
  try {
    // A preview's event (Paige's preview field) must leave the database as it was.
    const handle = () => bot.handle(req.body);
    res.json({ actions: await (req.body.preview ? db.rolledBack(handle) : handle()) });
  } catch (e) {
    // Paige sends the project's fallback and records the failure on the message.
    console.error(`event ${req.get('Paige-Event')}: ${e.stack || e}`);
    res.status(500).json({ error: 'the bot failed' });
  }
});

app.get('/health', (_req, res) => res.json({ ok: true }));

db.ensureTables(bot.tables ?? [])
  .then(() => {
    const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
      console.log(`listening on port ${server.address().port}`);
    });
    server.keepAliveTimeout = 65000;  // longer than Paige keeps an idle connection
    process.on('SIGTERM', () => server.close(() => db.pool.end().then(() => process.exit(0))));
  })
  .catch((e) => {
    console.error(`cannot prepare the database: ${e.message}`);
    process.exit(1);
  });
