// A second example: business hours kept in a table of the project database, read at each
// message, so the team changes them (the dashboard's database page, or SQL) without touching
// the code. In hours the starter bot answers; out of hours the contact learns when the team is
// back. Run it with BOT_MODULE=./examples/business-hours.
'use strict';
const starter = require('../bot');
const { text } = require('../contract');
const db = require('../dbServices');

const tables = [
  ...starter.tables,
  // weekday: 0 Sunday … 6 Saturday; times in the time zone `zone` (IANA, e.g. Europe/Lisbon).
  `CREATE TABLE IF NOT EXISTS business_hours (weekday int PRIMARY KEY CHECK (weekday BETWEEN 0 AND 6),
     opens time NOT NULL, closes time NOT NULL, zone text NOT NULL DEFAULT 'UTC')`,
];

/** Whether the business is open now, and when it opens next (as "Monday 09:00"), from the table. */
async function openNow() {
  const rows = await db.query(
    `SELECT weekday, to_char(opens, 'HH24:MI') AS opens,
            (now() AT TIME ZONE zone)::time BETWEEN opens AND closes
              AND extract(dow FROM now() AT TIME ZONE zone) = weekday AS open_now,
            (weekday - extract(dow FROM now() AT TIME ZONE zone)::int + 7) % 7 AS days_ahead,
            (now() AT TIME ZONE zone)::time < opens AS later_today
       FROM business_hours ORDER BY weekday`);
  if (rows.length === 0) return { open: true };  // no hours set: always open
  if (rows.some((r) => r.open_now)) return { open: true };
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const next = rows
    .map((r) => ({ r, ahead: r.days_ahead === 0 && !r.later_today ? 7 : r.days_ahead }))
    .sort((a, b) => a.ahead - b.ahead)[0].r;
  return { open: false, next: `${days[next.weekday]} ${next.opens}` };
}

async function handle(event) {
  const hours = await openNow();
  if (hours.open) return starter.handle(event);
  return [text(`We're closed now. We're back ${hours.next}; leave a message and we'll answer then.`)];
}

module.exports = { handle, tables, openNow };
