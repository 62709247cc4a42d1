// The Paige side of the bot: checking that an event comes from Paige (docs/bot-contract.md,
// "Signature"), and building the actions of an answer.
'use strict';
const crypto = require('crypto');

const maxAgeSeconds = 5 * 60;

/** Whether `req` (with its raw body in req.rawBody) is signed with `secret`, and recent. */
function signedByPaige(req, secret, now = Date.now() / 1000) {
  const ts = req.get('Paige-Timestamp') || '';
  const given = Buffer.from(req.get('Paige-Signature') || '');
  if (!secret || !/^\d+$/.test(ts) || Math.abs(now - Number(ts)) > maxAgeSeconds) return false;
  const expected = Buffer.from(
    'sha256=' + crypto.createHmac('sha256', secret).update(ts + '.').update(req.rawBody).digest('hex'));
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

// The actions of an answer, in the declarative vocabulary.
const text = (body) => ({ send: { type: 'text', text: { body } } });
const buttons = (body, choices) => ({
  send: {
    type: 'interactive',
    interactive: {
      type: 'button',
      body: { text: body },
      action: { buttons: choices.map(([id, title]) => ({ type: 'reply', reply: { id, title } })) },
    },
  },
});
const goTo = (state) => ({ goto: state });
const set = (vars) => ({ set: vars });
const save = (table, values) => ({ save: { table, values } });
const close = () => ({ close: {} });

module.exports = { signedByPaige, text, buttons, goTo, set, save, close };
