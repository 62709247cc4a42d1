// The project database, through the project's own role (DATABASE_URL, set by Paige): helpers
// for what bots do most, and `query` for the rest. Writes made here commit on their own; rows
// that must commit with the message's handling go in the answer instead (the `save` action).
// During a preview's event (rolledBack) every helper runs in one transaction that is rolled back.
'use strict';
const { AsyncLocalStorage } = require('async_hooks');
const { Pool } = require('pg');

const pool = new Pool(process.env.DATABASE_URL ? { connectionString: process.env.DATABASE_URL, max: 4 } : { max: 4 });

// The connection of the preview being handled, if any.
const previewing = new AsyncLocalStorage();

/** Runs `sql` with `params` ($1, $2 ...); resolves to the rows. */
async function query(sql, params = []) {
  return (await (previewing.getStore() ?? pool).query(sql, params)).rows;
}

/** Runs `fn` with the helpers' reads and writes in a transaction that is then rolled back. */
async function rolledBack(fn) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    return await previewing.run(client, fn);
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
  }
}

/** The contact `waId` as Paige stores it (id, wa_id, name, opted_out, ...), or null. */
async function getContact(waId) {
  const rows = await query('SELECT * FROM contacts WHERE wa_id = $1', [waId]);
  return rows[0] ?? null;
}

/** The contact's conversations, newest first (id, state, status, opened_at, ...). */
async function conversationsOf(waId, limit = 10) {
  return query(
    `SELECT c.* FROM conversations c JOIN contacts k ON k.id = c.contact_id
      WHERE k.wa_id = $1 ORDER BY c.id DESC LIMIT $2`, [waId, limit]);
}

/** Records a note about a conversation in the bot's own table, conversation_log. */
async function recordConversation(conversationId, waId, note) {
  return insertRow('conversation_log', { conversation_id: Number(conversationId), wa_id: waId, note });
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

/** Inserts a row into `table` of the project database; resolves to the row. */
async function insertRow(table, values) {
  const columns = Object.keys(values);
  if (!identifier.test(table) || !columns.every((c) => identifier.test(c)))
    throw new Error('table and column names are lowercase letters, digits and _');
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => '$' + (i + 1)).join(', ')}) RETURNING *`;
  return (await query(sql, columns.map((c) => values[c])))[0];
}

/** Creates the bot's own tables if they are missing (at start). */
async function ensureTables(ddl) {
  for (const statement of ddl) await query(statement);
}

module.exports = { query, getContact, conversationsOf, recordConversation, insertRow, ensureTables, rolledBack, pool };
