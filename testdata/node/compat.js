// Drives the official Xepeng Node.js package (xepeng-oauth-js) against a
// server and prints what each call returned, as one JSON line. Used by
// sandbox/nodecompat_test.go: the package must work against the sandbox
// unchanged. Environment: BASE_URL, CLIENT_ID, CLIENT_SECRET.
const { XepengIntegrationClient } = require('xepeng-oauth-js/integration');

const cfg = { clientId: process.env.CLIENT_ID, clientSecret: process.env.CLIENT_SECRET, baseUrl: process.env.BASE_URL };
const client = new XepengIntegrationClient(cfg);
const items = [{ amount: 50000, product_name: 'Kemeja Flanel', notes: 'size L' }];

(async () => {
  const out = {};
  const created = await client.orders().create(items);
  const uid = created.data.uid;
  out.create_status = created.data.status;
  const updated = await client.orders().update(uid, items); // status defaults to active
  out.update_status = updated.data.status;
  const got = await client.orders().get(uid);
  out.get_uid_matches = got.data.uid === uid;
  const list = await client.orders().list(1, 10);
  out.list_count = list.data.orders.length;
  out.list_total = list.data.pagination.total_items;
  const link = await client.paymentLinks().generate(uid, { success_url: 'https://shop.example/ok' });
  out.link_has_url = typeof link.data.payment_url === 'string' && link.data.payment_url.length > 0;
  out.link_order_uid_matches = link.data.order_uid === uid;
  try {
    await new XepengIntegrationClient({ ...cfg, clientSecret: 'wrong-secret' }).orders().get(uid);
    out.wrong_secret = 'accepted';
  } catch (e) {
    out.wrong_secret = e.statusCode;
  }
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error('compat failed:', e.message, e.statusCode);
  process.exit(1);
});
