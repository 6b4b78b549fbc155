package io.sparkattention.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.Params;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.Utils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Spark Connect registration: {@code META-INF/services/org.apache.spark.ml.Transformer} names
 * {@link AttentionTransformer}, and it is found and used as Spark 4's ML-over-Connect server does
 * ({@code org.apache.spark.sql.connect.ml.MLUtils}): every provider of {@code Transformer} loaded
 * through {@link ServiceLoader} with Spark's class loader and kept by class name, then an instance
 * made through the {@code (String uid)} constructor and its params set by name from the client's
 * values. The result equals the transformer made in Java. Runs on both lines (the 3.5 line just
 * never reads the entry).
 */
class AttentionTransformerServiceSparkTest {
  @BeforeAll
  static void setUp() {
    AttentionTransformerSparkTest.setUp(); // the shared session and that test's sequences
  }

  @Test
  void serviceEntryLoadsTheTransformerAsSparkConnectDoes() throws Exception {
    // MLUtils.loadOperators: ServiceLoader.load(classOf[Transformer], Utils.getContextOrSpark...),
    // the providers' types (not instances: Spark's own entries, e.g. LogisticRegressionModel, have
    // no public no-argument constructor).
    ServiceLoader<Transformer> loader =
        ServiceLoader.load(Transformer.class, Utils.getContextOrSparkClassLoader());
    Map<String, Class<?>> operators =
        loader.stream()
            .map(ServiceLoader.Provider::type)
            .collect(Collectors.toMap(Class::getName, c -> (Class<?>) c, (a, b) -> a));
    Class<?> cls = operators.get(AttentionTransformer.class.getName());
    assertEquals(AttentionTransformer.class, cls, "registered providers: " + operators.keySet());

    // MLUtils.createObject / setInstanceParams: the uid constructor, then params by name.
    Params made = (Params) cls.getConstructor(String.class).newInstance("attention_connect");
    ParamMap params =
        ParamMap.empty()
            .put(made.getParam("attention"), "causal")
            .put(made.getParam("window"), 3)
            .put(made.getParam("heads"), 2)
            .put(made.getParam("outputCol"), "attended");
    AttentionTransformer viaService = (AttentionTransformer) made.copy(params);
    assertEquals("attention_connect", viaService.uid());

    AttentionTransformer direct =
        new AttentionTransformer()
            .setAttention("causal")
            .setWindow(3)
            .setHeads(2)
            .setOutputCol("attended");
    Dataset<Row> tokens = AttentionTransformerSparkTest.table("seq_id", "pos", "x").drop("label");
    Map<String, double[]> a =
        AttentionTransformerSparkTest.byToken(
            viaService.transform(tokens), "seq_id", "pos", "attended");
    Map<String, double[]> b =
        AttentionTransformerSparkTest.byToken(
            direct.transform(tokens), "seq_id", "pos", "attended");
    assertEquals(b.keySet(), a.keySet());
    assertTrue(!a.isEmpty());
    for (Map.Entry<String, double[]> e : b.entrySet()) {
      assertEquals(List.of(box(e.getValue())), List.of(box(a.get(e.getKey()))), e.getKey());
    }
  }

  private static Double[] box(double[] v) {
    Double[] out = new Double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }
}
