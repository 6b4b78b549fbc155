package io.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.kernel.impl.SoftmaxRows;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

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
 *
 * <p>Those checks compare each run with what it asked for, so a {@code kernel-on-ejml} execution
 * that asks for nothing (its two properties deleted from the pom) would run the suite on the
 * defaults again and still pass them; {@link #thePomAsksTheSecondRunForEjmlAndTheScalarSoftmax}
 * reads the pom to close that gap. Seen to fail (Nov 2026) with both properties deleted, which the
 * other three tests passed in both runs.
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

  @Test
  void thePomAsksTheSecondRunForEjmlAndTheScalarSoftmax() throws Exception {
    // Surefire runs with the project directory as the working directory.
    Element pom =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(Path.of("pom.xml").toFile())
            .getDocumentElement();
    Element execution = null;
    NodeList ids = pom.getElementsByTagName("id");
    for (int i = 0; i < ids.getLength(); i++) {
      Node id = ids.item(i);
      if (id.getTextContent().strip().equals("kernel-on-ejml")) {
        execution = (Element) id.getParentNode();
      }
    }
    assertTrue(execution != null, "pom.xml has no surefire execution kernel-on-ejml");
    Map<String, String> properties = new HashMap<>();
    NodeList variables = execution.getElementsByTagName("systemPropertyVariables");
    for (int i = 0; i < variables.getLength(); i++) {
      NodeList children = variables.item(i).getChildNodes();
      for (int j = 0; j < children.getLength(); j++) {
        if (children.item(j) instanceof Element e) {
          properties.put(e.getTagName(), e.getTextContent().strip());
        }
      }
    }
    assertEquals(
        Map.of("sparkattention.engine", "ejml", "sparkattention.softmax", "scalar"),
        properties,
        "the system properties of kernel-on-ejml (pom.xml)");
    // and it runs this class, so that the checks above see that run
    NodeList includes = execution.getElementsByTagName("include");
    List<String> patterns = new ArrayList<>();
    for (int i = 0; i < includes.getLength(); i++) {
      patterns.add(includes.item(i).getTextContent().strip());
    }
    assertTrue(
        patterns.contains("io/sparkattention/kernel/**/*Test.java"),
        "kernel-on-ejml runs the kernel suite: " + patterns);
  }
}
