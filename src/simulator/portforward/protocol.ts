/**
 * Names and limits of the pods/portforward protocols, as kubelet and
 * kube-apiserver speak them (k8s.io/api/core/v1 PortHeader & co., the
 * portforward.k8s.io SPDY subprotocol, the WebSocket tunnelling of it, and
 * the v4 channel protocol).
 */

/** The SPDY subprotocol version kubectl and client-go send in X-Stream-Protocol-Version. */
export const PORT_FORWARD_PROTOCOL_V1 = 'portforward.k8s.io';
/** WebSocket subprotocol: SPDY/3.1 frames carried in binary WebSocket messages (kubectl >= 1.31). */
export const SPDY_OVER_WEBSOCKET_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL_V1}`;
/** WebSocket subprotocol: channel-multiplexed port-forward (@kubernetes/client-node's PortForward). */
export const CHANNEL_V4_PROTOCOL = 'v4.channel.k8s.io';

export const SPDY_UPGRADE = 'SPDY/3.1';
export const STREAM_PROTOCOL_VERSION_HEADER = 'X-Stream-Protocol-Version';

/** SPDY stream headers (lower-case on the wire, as SPDY/3 requires). */
export const HEADER_STREAM_TYPE = 'streamtype';
export const HEADER_PORT = 'port';
export const HEADER_REQUEST_ID = 'requestid';
export const STREAM_TYPE_ERROR = 'error';
export const STREAM_TYPE_DATA = 'data';

/** kubelet's default --streaming-connection... stream creation timeout: a pair must complete within it. */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;
/** Concurrent SPDY streams one tunnel may hold (kubelet does not limit; this keeps a bad client bounded). */
export const MAX_STREAMS_PER_TUNNEL = 1_000;

export const MAX_PORT = 65_535;
