/*
 * The last fault of issue 8 waits for SIP routing (issue 5). Its plan, with the same stream and assertions as the
 * others (test/support/fault-stream.ts): route conversations to the sipp contact centre (test/support/sipp.ts),
 * stop the sipp peer at round 3 and start it again at round 6, then expect every customer message stored once and
 * every conversation routed (or its hand-off retried) once the peer is back, none stuck. Add
 * `{ fault: 'SIP peer down 5 s', ... }` here and it joins the table.
 */
describe('the SIP peer (the contact centre) down for a while', () => {
  it.todo('routes every conversation once the peer is back, losing no customer message (after issue 5 lands)');
});
