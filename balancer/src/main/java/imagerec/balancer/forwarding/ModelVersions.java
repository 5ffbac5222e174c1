package imagerec.balancer.forwarding;

import java.math.BigInteger;

/** Orders model versions: numerically when both are whole numbers ("10" after "9"), else as text. */
final class ModelVersions {
  private ModelVersions() {}

  static int compare(String a, String b) {
    if (a.matches("\\d+") && b.matches("\\d+")) {
      return new BigInteger(a).compareTo(new BigInteger(b));
    }
    return a.compareTo(b);
  }
}
