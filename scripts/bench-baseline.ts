import Koa from 'koa';
import postgres from 'postgres';

/**
 * The benchmark's baseline: a bare Koa endpoint doing one INSERT per request on the same database,
 * with the same pool size as the bot. Started as its own process by scripts/bench.ts.
 */
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const sql = postgres(url, { max: Number(process.env.POOL ?? 10), onnotice: () => {} });
await sql`create table if not exists bench_baseline (id bigserial primary key, body text not null, at timestamptz not null default now())`;

const app = new Koa();
app.use(async (ctx) => {
  const chunks: Buffer[] = [];
  for await (const c of ctx.req) chunks.push(c as Buffer);
  await sql`insert into bench_baseline (body) values (${Buffer.concat(chunks).toString('utf8').slice(0, 200)})`;
  ctx.type = 'application/json';
  ctx.body = { ok: true };
});
const server = app.listen(0, '127.0.0.1', () => {
  const a = server.address() as { port: number };
  console.log(`baseline listening on http://127.0.0.1:${a.port}`);
});
process.on('SIGTERM', () => {
  server.close();
  void sql.end({ timeout: 2 }).then(() => process.exit(0));
});
