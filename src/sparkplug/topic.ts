// Sparkplug B topic names (Sparkplug 3.0, section 4.1):
//   spBv1.0/<group_id>/<message_type>/<edge_node_id>[/<device_id>]
//   spBv1.0/STATE/<host_id>                      host application state: JSON, never protobuf
//   STATE/<host_id>                              the same in Sparkplug 2.2
//   $sparkplug/certificates/spBv1.0/...          births republished (retained) by a Sparkplug-aware broker
export const NAMESPACE = 'spBv1.0';
const CERTIFICATES_PREFIX = '$sparkplug/certificates/';

export const EDGE_NODE_MESSAGE_TYPES = ['NBIRTH', 'NDEATH', 'NDATA', 'NCMD'] as const;
export const DEVICE_MESSAGE_TYPES = ['DBIRTH', 'DDEATH', 'DDATA', 'DCMD'] as const;

export type EdgeNodeMessageType = (typeof EDGE_NODE_MESSAGE_TYPES)[number];
export type DeviceMessageType = (typeof DEVICE_MESSAGE_TYPES)[number];

/** A topic whose payload is a Sparkplug B protobuf. */
export interface SparkplugTopic {
  namespace: typeof NAMESPACE;
  groupId: string;
  messageType: EdgeNodeMessageType | DeviceMessageType;
  edgeNodeId: string;
  /** Present for DBIRTH, DDEATH, DDATA and DCMD only. */
  deviceId?: string;
  /** True when read from a Sparkplug-aware broker's `$sparkplug/certificates/` republication. */
  certificate?: true;
}

/** A host application's STATE topic: its payload is JSON and must never be decoded as protobuf. */
export interface StateTopic {
  namespace: typeof NAMESPACE | undefined;
  messageType: 'STATE';
  hostId: string;
}

export type ParsedTopic = SparkplugTopic | StateTopic;

export class TopicError extends Error {
  override readonly name = 'TopicError';
  readonly topic: string;

  constructor(topic: string, reason: string) {
    super(`not a Sparkplug B topic: ${JSON.stringify(topic)}: ${reason}`);
    this.topic = topic;
  }
}

function isEdgeNodeType(t: string): t is EdgeNodeMessageType {
  return (EDGE_NODE_MESSAGE_TYPES as readonly string[]).includes(t);
}

function isDeviceType(t: string): t is DeviceMessageType {
  return (DEVICE_MESSAGE_TYPES as readonly string[]).includes(t);
}

/** Ids are any UTF-8 except `/`, `+` and `#`, and not empty. */
function checkId(topic: string, what: string, id: string | undefined): string {
  if (id === undefined || id === '') throw new TopicError(topic, `${what} is empty`);
  if (id.includes('+') || id.includes('#')) throw new TopicError(topic, `${what} ${JSON.stringify(id)} contains + or #`);
  return id;
}

/**
 * Splits a Sparkplug B topic into its parts.
 * @throws TopicError naming what is wrong for anything else.
 */
export function parseTopic(topic: string): ParsedTopic {
  let name = topic;
  let certificate = false;
  if (name.startsWith(CERTIFICATES_PREFIX)) {
    name = name.slice(CERTIFICATES_PREFIX.length);
    certificate = true;
  }
  const parts = name.split('/');
  if (!certificate && parts[0] === 'STATE' && parts.length === 2) {
    return { namespace: undefined, messageType: 'STATE', hostId: checkId(topic, 'host id', parts[1]) };
  }
  if (parts[0] !== NAMESPACE) throw new TopicError(topic, `the namespace must be ${NAMESPACE}`);
  if (!certificate && parts[1] === 'STATE') {
    if (parts.length !== 3) throw new TopicError(topic, `a STATE topic is ${NAMESPACE}/STATE/<host_id>`);
    return { namespace: NAMESPACE, messageType: 'STATE', hostId: checkId(topic, 'host id', parts[2]) };
  }
  const [, groupId, messageType = '', edgeNodeId, deviceId] = parts;
  const group = checkId(topic, 'group id', groupId);
  if (isEdgeNodeType(messageType)) {
    if (parts.length !== 4) throw new TopicError(topic, `a ${messageType} topic is ${NAMESPACE}/<group_id>/${messageType}/<edge_node_id>`);
    const parsed: SparkplugTopic = { namespace: NAMESPACE, groupId: group, messageType, edgeNodeId: checkId(topic, 'edge node id', edgeNodeId) };
    if (certificate) parsed.certificate = true;
    return parsed;
  }
  if (isDeviceType(messageType)) {
    if (parts.length !== 5) {
      throw new TopicError(topic, `a ${messageType} topic is ${NAMESPACE}/<group_id>/${messageType}/<edge_node_id>/<device_id>`);
    }
    const parsed: SparkplugTopic = {
      namespace: NAMESPACE,
      groupId: group,
      messageType,
      edgeNodeId: checkId(topic, 'edge node id', edgeNodeId),
      deviceId: checkId(topic, 'device id', deviceId),
    };
    if (certificate) parsed.certificate = true;
    return parsed;
  }
  throw new TopicError(topic, `unknown message type ${JSON.stringify(messageType)}`);
}
