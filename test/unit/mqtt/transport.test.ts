// The broker URL becomes the options MQTT.js's own TCP or TLS stream builder needs, as its
// connect() would derive them, without loading the transports the URL does not name.
import { transportOptions } from '../../../src/mqtt/transport';

describe('transportOptions', () => {
  it('takes host and port from an mqtt:// or tcp:// URL, and leaves the default port to MQTT.js', () => {
    expect(transportOptions('mqtt://broker.local:1884', { clientId: 'c' })).toMatchObject({ protocol: 'mqtt', host: 'broker.local', hostname: 'broker.local', port: 1884, clientId: 'c' });
    const tcp = transportOptions('tcp://10.0.0.2', {});
    expect(tcp).toMatchObject({ protocol: 'mqtt', host: '10.0.0.2' });
    expect(tcp).not.toHaveProperty('port');
  });

  it('asks for TLS for mqtts:// and ssl://, and for a client certificate and key whatever the scheme', () => {
    expect(transportOptions('mqtts://broker:8883', {}).protocol).toBe('mqtts');
    expect(transportOptions('ssl://broker', {}).protocol).toBe('mqtts');
    expect(transportOptions('mqtt://broker', { cert: Buffer.from('c'), key: Buffer.from('k') }).protocol).toBe('mqtts');
    expect(transportOptions('mqtt://broker', { ca: Buffer.from('ca') }).protocol).toBe('mqtt');
  });

  it('gives an IPv6 literal without its brackets', () => {
    expect(transportOptions('mqtt://[::1]:1883', {})).toMatchObject({ host: '::1', port: 1883 });
  });

  it('connects a mqtt+unix:// URL to the socket path, as the EVerest manager hands it', () => {
    const unix = transportOptions('mqtt+unix:///run/everest/mqtt%20broker.sock', {});
    expect(unix).toMatchObject({ protocol: 'mqtt', path: '/run/everest/mqtt broker.sock' });
    expect(unix).not.toHaveProperty('host');
  });
});
