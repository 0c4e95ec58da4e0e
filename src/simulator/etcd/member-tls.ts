import type { KeyObject } from 'node:crypto';
import tls, { type TLSSocket } from 'node:tls';
import { issueCertificate, type CertificateAuthority } from '../../pki/certificates.js';
import { privateKeyToPem } from '../../pki/keys.js';
import type { Logger } from '../../telemetry/logger.js';
import type { EtcdMember } from './fake-etcd.js';

/**
 * The TLS side of each fake etcd member, as kubeadm sets etcd up: a serving
 * certificate signed by the cluster's etcd CA, and client certificates
 * required and verified against that CA. One never-listening tls.Server per
 * member that has been reached (created on first tunnel): a forwarded
 * stream is handed to it as a 'connection', and only authorised clients
 * come out as 'secureConnection'.
 */

/** etcd speaks gRPC: HTTP/2 only. */
const ETCD_ALPN = ['h2'];
const HANDSHAKE_TIMEOUT_MS = 10_000;

export type AuthorisedConnection = (socket: TLSSocket, member: EtcdMember) => void;

export class EtcdMemberTls {
  private readonly servers = new Map<bigint, tls.Server>();

  constructor(
    readonly ca: CertificateAuthority,
    private readonly servingKey: KeyObject,
    private readonly onAuthorised: AuthorisedConnection,
    private readonly log: Logger,
  ) {}

  /** Starts the TLS handshake of a forwarded connection to a member. */
  accept(stream: NodeJS.ReadWriteStream & { destroy(): void }, member: EtcdMember): void {
    this.serverFor(member).emit('connection', stream);
  }

  /** Drops a member's certificate (the member is gone). */
  forget(memberId: bigint): void {
    this.servers.delete(memberId);
  }

  private serverFor(member: EtcdMember): tls.Server {
    let server = this.servers.get(member.id);
    if (server) return server;
    // kubeadm's etcd server certificate: CN = node name, SANs for the node, localhost and loopback;
    // `etcd-<node>` is the name CAPI's etcd client dials through its port-forward.
    const ips = ['127.0.0.1', '::1', ...member.clientURLs.map(hostOf).filter((h): h is string => !!h && /^[\d.]+$|:/.test(h))];
    const cert = issueCertificate(this.ca, {
      commonName: member.name,
      dnsNames: [`etcd-${member.name}`, member.name, 'localhost'],
      ipAddresses: [...new Set(ips)],
      usages: ['server', 'client'],
      publicKey: this.servingKey,
    });
    server = tls.createServer({
      cert: cert.certPem,
      key: privateKeyToPem(this.servingKey),
      ca: this.ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ETCD_ALPN,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    server.on('secureConnection', (socket: TLSSocket) => this.onAuthorised(socket, member));
    server.on('tlsClientError', (err) => this.log.debug({ err: err.message, member: member.name }, 'etcd TLS handshake refused'));
    this.servers.set(member.id, server);
    return server;
  }
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}
