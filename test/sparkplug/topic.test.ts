// Topic names: births, data, commands, STATE (never protobuf) and the Sparkplug-aware republications.
import { describe, expect, it } from 'vitest';
import { TopicError, parseTopic } from '../../src/sparkplug/topic.ts';

describe('parseTopic', () => {
  it('splits device and edge node topics', () => {
    expect(parseTopic('spBv1.0/Secil/DBIRTH/Portugal/Cement')).toStrictEqual({
      namespace: 'spBv1.0',
      groupId: 'Secil',
      messageType: 'DBIRTH',
      edgeNodeId: 'Portugal',
      deviceId: 'Cement',
    });
    expect(parseTopic('spBv1.0/EdgeDevices/NBIRTH/TransmissionMaceira')).toStrictEqual({
      namespace: 'spBv1.0',
      groupId: 'EdgeDevices',
      messageType: 'NBIRTH',
      edgeNodeId: 'TransmissionMaceira',
    });
  });

  it.each(['NBIRTH', 'NDEATH', 'NDATA', 'NCMD'])('knows %s', (type) => {
    expect(parseTopic(`spBv1.0/G/${type}/E`)).toMatchObject({ messageType: type, edgeNodeId: 'E' });
  });

  it.each(['DBIRTH', 'DDEATH', 'DDATA', 'DCMD'])('knows %s', (type) => {
    expect(parseTopic(`spBv1.0/G/${type}/E/D`)).toMatchObject({ messageType: type, deviceId: 'D' });
  });

  it('keeps ids as they are: spaces, accents, case', () => {
    expect(parseTopic('spBv1.0/Secil Group/DDATA/Outão/Forno 7')).toMatchObject({
      groupId: 'Secil Group',
      edgeNodeId: 'Outão',
      deviceId: 'Forno 7',
    });
  });

  it('recognises STATE topics (JSON payloads), in the 3.0 and 2.2 forms', () => {
    expect(parseTopic('spBv1.0/STATE/scada-host')).toStrictEqual({ namespace: 'spBv1.0', messageType: 'STATE', hostId: 'scada-host' });
    expect(parseTopic('STATE/scada-host')).toStrictEqual({ namespace: undefined, messageType: 'STATE', hostId: 'scada-host' });
  });

  it("reads a Sparkplug-aware broker's retained birth republications", () => {
    expect(parseTopic('$sparkplug/certificates/spBv1.0/Secil/DBIRTH/Portugal/Cement')).toStrictEqual({
      namespace: 'spBv1.0',
      groupId: 'Secil',
      messageType: 'DBIRTH',
      edgeNodeId: 'Portugal',
      deviceId: 'Cement',
      certificate: true,
    });
  });

  it.each([
    ['spAv1.0/G/NBIRTH/E', 'the namespace must be spBv1.0'],
    ['spBv1.0/G/NBIRTH/E/D', 'a NBIRTH topic is spBv1.0/<group_id>/NBIRTH/<edge_node_id>'],
    ['spBv1.0/G/DBIRTH/E', 'a DBIRTH topic is spBv1.0/<group_id>/DBIRTH/<edge_node_id>/<device_id>'],
    ['spBv1.0/G/DBIRTH/E/D/extra', 'a DBIRTH topic is'],
    ['spBv1.0/G/BIRTH/E', 'unknown message type "BIRTH"'],
    ['spBv1.0//NBIRTH/E', 'group id is empty'],
    ['spBv1.0/G/NBIRTH/', 'edge node id is empty'],
    ['spBv1.0/G/DDATA/E/+', 'device id "+" contains + or #'],
    ['spBv1.0/STATE/a/b', 'a STATE topic is spBv1.0/STATE/<host_id>'],
    ['', 'the namespace must be spBv1.0'],
  ])('rejects %j: %s', (topic, reason) => {
    expect(() => parseTopic(topic)).toThrow(TopicError);
    expect(() => parseTopic(topic)).toThrow(reason);
  });
});
