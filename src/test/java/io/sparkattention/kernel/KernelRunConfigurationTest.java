package io.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.kernel.impl.SoftmaxRows;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The kernel suite runs twice (pom.xml, surefire): the default run on netlib BLAS with the
 * vectorised softmax, and the execution {@code kernel-on-ejml} on EJML with the scalar softmax,
 * which it asks for with the system properties {@code sparkattention.engine=ejml} and {@code
 * sparkattention.softmax=scalar}. Every other kernel test passes on either, so only this one shows
 * that each run computed on what it asked for.
 *
 * <p>The property names are written out here rather than taken from the main code, so a property
 * renamed on one side only (code or pom) fails this test instead of silently running the second
 * execution on the defaults again.
 *
 * <p>Seen to fail (Nov 2026): with {@code sparkattention.softmax} misspelt {@code
 * sparkattention.sofmax} in the kernel-on-ejml execution ("unknown system property … but was:
 * <[sparkattention.sofmax]>"); with {@code SoftmaxRows} ignoring its property (kernel-on-ejml:
 * "this run asked for scalar … expected: <scalar> but was: <vector(256-bit)>"); with {@code
 * MatrixEngine} reading another property name (kernel-on-ejml: "expected: <ejml> but was: <blas>");
 * and with the default engine changed to EJML (default run: "expected: <blas> but was: <ejml>").
 */
class KernelRunConfigurationTest {
  /** Every {@code sparkattention.*} system property the code reads. */
  private static final Set<String> KNOWN =
      Set.of("sparkattention.engine", "sparkattention.softmax", "sparkattention.chunkRows");

  @Test
  void theKernelsUseTheEngineThisRunAskedFor() {
    // Not set: the default, netlib BLAS, which is on the test class path.
    String asked = System.getProperty("sparkattention.engine");
    assertEquals(
        asked == null ? "blas" : asked,
        MatrixEngine.defaultEngine().name(),
        "this run asked for engine "
            + (asked == null ? "auto (no -Dsparkattention.engine)" : asked));
  }

  @Test
  void theKernelsUseTheSoftmaxThisRunAskedFor() {
    // Not set (auto): the vectorised one, since the surefire argLine adds the Vector API module.
    String asked = System.getProperty("sparkattention.softmax", "auto");
    String name = SoftmaxRows.get().name();
    if (asked.equals("scalar")) {
      assertEquals("scalar", name, "this run asked for scalar (-Dsparkattention.softmax)");
    } else {
      assertTrue(
          name.startsWith("vector("),
          "this run asked for " + asked + " (-Dsparkattention.softmax), got " + name);
    }
  }

  @Test
  void noMisspeltPropertyIsSet() {
    List<String> unknown = new ArrayList<>();
    for (String key : System.getProperties().stringPropertyNames()) {
      if (key.startsWith("sparkattention.") && !KNOWN.contains(key)) {
        unknown.add(key);
      }
    }
    assertEquals(List.of(), unknown, "unknown system property (known: " + KNOWN + ")");
  }
}
