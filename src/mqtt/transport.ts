// MQTT.js's connect() loads every transport it knows before it picks one: WebSocket (the ws
// package with node's http, https and zlib), TLS and a SOCKS client, 1.8 MB of an idle module's
// resident memory (npm run bench). This builds MQTT.js's client with only what the URL's scheme
// needs: a socket for TCP and Unix sockets, MQTT.js's own builder for TLS or a SOCKS proxy.
// WebSocket URLs, rare on a charger, still go through connect().
import type { IClientOptions, MqttClient } from 'mqtt';
import type { StreamBuilder } from 'mqtt/lib/shared';

/** The options MQTT.js's connect() would derive from `url` for a TCP, TLS or Unix-socket broker. */
export function transportOptions(url: string, options: IClientOptions): IClientOptions & { protocol: 'mqtt' | 'mqtts' } {
  const parsed = new URL(url);
  const scheme = parsed.protocol.slice(0, -1);
  // As connect(): a client certificate and key ask for TLS whatever the scheme.
  const secure = scheme === 'mqtts' || scheme === 'ssl' || (options.cert !== undefined && options.key !== undefined);
  if (scheme === 'mqtt+unix') return { ...options, protocol: 'mqtt', path: decodeURIComponent(parsed.pathname) };
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1'); // an IPv6 literal without its brackets
  return {
    ...options,
    protocol: secure ? 'mqtts' : 'mqtt',
    host: hostname,
    hostname,
    ...(parsed.port !== '' ? { port: Number(parsed.port) } : {}),
    // As connect(): MQTT.js's proxy setting for TCP.
    ...(process.env.MQTTJS_SOCKS_PROXY !== undefined ? { socksProxy: process.env.MQTTJS_SOCKS_PROXY } : {}),
  };
}

export function connectMqtt(url: string, options: IClientOptions): MqttClient {
  if (/^wss?:/.test(url)) return (require('mqtt') as typeof import('mqtt')).connect(url, options);
  const transport = transportOptions(url, options);
  const build = (
    transport.protocol === 'mqtts' ? require('mqtt/lib/connect/tls').default
    : transport.socksProxy !== undefined ? require('mqtt/lib/connect/tcp').default
    : plainSocket
  ) as StreamBuilder;
  const Client = require('mqtt/lib/client').default as typeof MqttClient;
  // A copy per attempt: the builders fill in their defaults on the object they are given.
  return new Client((client) => build(client, { ...transport }), transport);
}

// What MQTT.js's TCP builder does without a SOCKS proxy, minus loading the proxy client (socks, dns) it never uses then.
const plainSocket: StreamBuilder = (_client, options) => {
  const { createConnection } = require('node:net') as typeof import('node:net');
  return createConnection(options?.path !== undefined ? { path: options.path } : { port: options?.port ?? 1883, host: options?.hostname ?? 'localhost' });
};
