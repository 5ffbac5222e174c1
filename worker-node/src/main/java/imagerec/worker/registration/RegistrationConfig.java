package imagerec.worker.registration;

import imagerec.grpc.HostPort;
import imagerec.security.TlsConfig;

/**
 * How a worker registers itself with a balancer.
 *
 * @param balancer the balancer's admin address (host:port)
 * @param advertise the address the balancer should dial, host:port (null: this host's name and the
 *     bound port)
 * @param tls whether to connect with TLS
 * @param tlsFiles the CA the balancer's certificate is checked against (null: the system's), and a
 *     client certificate for a balancer that requires mutual TLS
 * @param token the balancer's admin token, sent as 'authorization: Bearer TOKEN' (null: none)
 */
public record RegistrationConfig(String balancer, String advertise, boolean tls, TlsConfig tlsFiles, String token) {
  public RegistrationConfig {
    HostPort.parse(balancer, "--register-with");
    if (advertise != null) {
      HostPort.parse(advertise, "--advertise");
    }
  }

  @Override
  public String toString() { // the token is a secret: never in the log
    return "RegistrationConfig[balancer=" + balancer + ", advertise=" + advertise + ", tls=" + tls
        + ", tlsFiles=" + tlsFiles + ", token=" + (token == null ? "none" : "(hidden)") + "]";
  }
}
