// The starter bot: three states (docs/bot-contract.md). Each handler gets the event and
// resolves to the actions of the answer; Paige applies them all together with the message's
// handled mark, and posts the contact's next message only after that.
//   unstructured  greets, offers support or leaving one's details
//   support       records what the contact writes for a teammate
//   collect_info  asks a name, then an email, and saves them as a lead
'use strict';
const { text, buttons, goTo, set, save } = require('./contract');
const db = require('./dbServices');

// The bot's own tables (Paige's contacts, conversations and messages are always there).
const tables = [
  `CREATE TABLE IF NOT EXISTS leads (id bigserial PRIMARY KEY, wa_id text NOT NULL, name text NOT NULL,
     email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS support_requests (id bigserial PRIMARY KEY, wa_id text NOT NULL,
     conversation_id bigint NOT NULL, text text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS conversation_log (id bigserial PRIMARY KEY, conversation_id bigint NOT NULL,
     wa_id text NOT NULL, note text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
];

const wants = (event, id, words) => event.message.button_id === id || words.test(event.message.text);

const states = {
  async unstructured(event) {
    const name = event.contact.name || 'there';
    if (wants(event, 'support', /\b(support|help)\b/i))
      return [text('A teammate will answer soon. Tell us what happened.'), goTo('support')];
    if (wants(event, 'collect_info', /\b(details|info|sign ?up)\b/i))
      return [text("What's your name?"), set({ step: 'name' }), goTo('collect_info')];
    // A contact who wrote before in another conversation is welcomed back.
    const earlier = await db.conversationsOf(event.contact.wa_id, 2);
    const hello = earlier.length > 1 ? `Welcome back, ${name}!` : `Hi ${name}!`;
    return [buttons(`${hello} How can I help?`, [['support', 'Support'], ['collect_info', 'Leave my details']])];
  },

  async support(event) {
    await db.recordConversation(event.conversation.id, event.contact.wa_id, 'support request');
    return [
      save('support_requests', { wa_id: event.contact.wa_id, conversation_id: Number(event.conversation.id), text: event.message.text }),
      text('Noted. A teammate will answer here.'),
    ];
  },

  async collect_info(event) {
    const vars = event.conversation.vars;
    const answer = event.message.text.trim();
    if (vars.step === 'name') {
      if (!answer) return [text("What's your name?")];
      return [set({ name: answer, step: 'email' }), text(`Thanks, ${answer}! And your email?`)];
    }
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(answer)) return [text("That doesn't look like an email. Try again?")];
    return [
      save('leads', { wa_id: event.contact.wa_id, name: vars.name, email: answer }),
      text(`Thanks, ${vars.name}! We'll be in touch at ${answer}.`),
      set({ step: null, name: null }),
      goTo('unstructured'),
    ];
  },
};

/** The actions answering `event`: its state's handler, the greeting for a state it does not know. */
async function handle(event) {
  const run = states[event.conversation.state] ?? states.unstructured;
  return run(event);
}

module.exports = { handle, tables };
