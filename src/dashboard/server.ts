// The dashboard's HTTP side (fastify): the page and its two files, the state as Server-Sent
// Events, and the two state-changing calls; every request passes the guard first.
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { type ConnectorTypeEnum, ConnectorTypeEnumValues } from '../generated/types';
import type { Logger } from '../log';
import { check, type GuardOptions, type Listen } from './guard';
import type { DashboardView, ModuleView } from './view';

/** What a reserve or cancel from the page came to: the module's answer, or why there is none. */
export type ActionOutcome =
  | { status: 200; answer: unknown }
  | { status: 400 | 422 | 503 | 504; error: { type: string; message: string } };

/** A reservation asked for from the page: a connector in the connector interface; an EVSE (absent: any) and a connector type in the evse interface. */
export interface ReserveRequest {
  connector_id?: number;
  evse_id?: number;
  connector_type?: ConnectorTypeEnum;
  reservation_id: number;
  id_token: string;
  parent_id_token?: string;
  /** `15m`, `1h30m` or an RFC 3339 date-time. */
  expires: string;
}

export interface Actions {
  reserve(request: ReserveRequest, client: string): Promise<ActionOutcome>;
  cancel(reservationId: number, client: string): Promise<ActionOutcome>;
}

export interface ServerOptions {
  listen: Listen;
  guard: GuardOptions;
  view: DashboardView;
  /** What the page says it shows: one module (with forms) or the fleet (read-only). */
  page: { mode: 'module' | 'fleet'; module_id?: string; prefix: string };
  /** Absent in the fleet view: bridged topics are read-only, and reservations stay with each charger. */
  actions?: Actions;
  now: () => number;
  log: Logger;
}

/** SSE comment lines keep proxies and idle timeouts from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** Changes within this window go out as one message per module. */
const PUSH_DELAY_MS = 50;

const ASSETS: Record<string, string> = {
  '/': 'index.html',
  '/dashboard.css': 'dashboard.css',
  '/dom.js': 'dom.js',
  '/tiles.js': 'tiles.js',
  '/actions.js': 'actions.js',
  '/dashboard.js': 'dashboard.js',
};
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

const SECURITY_HEADERS = {
  // Everything comes from here; no inline script, so an injected tag could not run even if one got in.
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The page's files: next to the compiled server if a build copied them, else in the source tree. */
function assetDir(): string {
  const candidates = [path.join(__dirname, 'public'), path.resolve(__dirname, '..', '..', 'src', 'dashboard', 'public')];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error(`dashboard page not found in ${candidates.join(' or ')}`);
  return found;
}

const reserveSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['reservation_id', 'id_token', 'expires'],
  properties: {
    connector_id: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    evse_id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    connector_type: { type: 'string', enum: ConnectorTypeEnumValues },
    reservation_id: { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
    // Length and content are the module's to judge: its answer (a schema error, say) is shown as it is.
    id_token: { type: 'string', minLength: 1 },
    parent_id_token: { type: 'string' },
    expires: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

const cancelSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['reservation_id'],
  properties: { reservation_id: { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

export interface DashboardServer {
  /** http://host:port/ as it is listening (the port resolved when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

export async function startDashboardServer(options: ServerOptions): Promise<DashboardServer> {
  const { view, log } = options;
  const dir = assetDir();
  const assets = new Map(Object.entries(ASSETS).map(([route, file]) => [route, { body: readFileSync(path.join(dir, file)), type: CONTENT_TYPES[path.extname(file)] as string }]));

  const app: FastifyInstance = Fastify({ bodyLimit: 16 * 1024, forceCloseConnections: true });
  const streams = new Set<ServerResponse>();

  app.addHook('onRequest', async (request, reply) => {
    const verdict = check({ method: request.method, url: request.url, headers: request.headers }, options.guard);
    if (verdict.allow) return;
    if (verdict.status === 303) {
      return reply.code(303).header('set-cookie', verdict.setCookie).header('location', verdict.location).headers(SECURITY_HEADERS).send();
    }
    log.warn({ method: request.method, url: request.url.replace(/token=[^&]*/, 'token=***'), client: request.ip, status: verdict.status, why: verdict.message }, 'dashboard request refused');
    return reply.code(verdict.status).headers(SECURITY_HEADERS).type('text/plain; charset=utf-8').send(verdict.message);
  });

  for (const [route, asset] of assets) {
    app.get(route, async (_request, reply) => reply.headers(SECURITY_HEADERS).type(asset.type).send(asset.body));
  }

  const moduleMessage = (moduleView: ModuleView): string => JSON.stringify({ ...moduleView, server_time: options.now() });
  const state = (): object => ({
    ...options.page,
    forms: options.actions !== undefined,
    server_time: options.now(),
    broker: view.broker,
    modules: view.shown(),
  });

  app.get('/api/state', async (_request, reply) => reply.headers(SECURITY_HEADERS).send(state()));

  app.get('/events', (request, reply) => {
    reply.hijack();
    const stream = reply.raw;
    stream.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' });
    // A reconnecting page gets the whole state again, so it never shows a stale mix.
    stream.write(`retry: 2000\nevent: state\ndata: ${JSON.stringify(state())}\n\n`);
    streams.add(stream);
    request.raw.once('close', () => streams.delete(stream));
  });

  const send = (event: string, data: string): void => {
    for (const stream of streams) stream.write(`event: ${event}\ndata: ${data}\n\n`);
  };
  const dueModules = new Set<string>();
  let pushTimer: NodeJS.Timeout | undefined;
  view.onChange((change) => {
    if (change.kind === 'broker') {
      send('broker', JSON.stringify({ ...view.broker, server_time: options.now() }));
      return;
    }
    dueModules.add(change.moduleId);
    pushTimer ??= setTimeout(() => {
      pushTimer = undefined;
      for (const moduleId of dueModules) {
        const moduleView = view.shownModule(moduleId);
        send(moduleView ? 'module' : 'gone', moduleView ? moduleMessage(moduleView) : JSON.stringify({ module_id: moduleId }));
      }
      dueModules.clear();
    }, PUSH_DELAY_MS);
  });
  const keepalive = setInterval(() => {
    for (const stream of streams) stream.write(`: ${options.now()}\n\n`);
  }, KEEPALIVE_MS);

  const answer = async (reply: FastifyReply, outcome: ActionOutcome): Promise<FastifyReply> => reply.code(outcome.status).headers(SECURITY_HEADERS).send(outcome);
  const { actions } = options;
  if (actions) {
    app.post<{ Body: ReserveRequest }>('/api/reserve', { schema: { body: reserveSchema } }, async (request, reply) => answer(reply, await actions.reserve(request.body, request.ip)));
    app.post<{ Body: { reservation_id: number } }>('/api/cancel', { schema: { body: cancelSchema } }, async (request, reply) =>
      answer(reply, await actions.cancel(request.body.reservation_id, request.ip)),
    );
  }
  app.setErrorHandler(async (err: { statusCode?: number; message: string }, _request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return reply.code(status).headers(SECURITY_HEADERS).send({ status, error: { type: status === 500 ? 'InternalError' : 'BadRequest', message: err.message } });
  });

  await app.listen({ host: options.listen.host, port: options.listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.listen.port;
  const host = options.listen.host.includes(':') ? `[${options.listen.host}]` : options.listen.host;
  return {
    url: `http://${host}:${port}/`,
    close: async () => {
      clearInterval(keepalive);
      if (pushTimer !== undefined) clearTimeout(pushTimer);
      for (const stream of streams) stream.end();
      streams.clear();
      await app.close();
    },
  };
}
