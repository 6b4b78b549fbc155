package io.sparkattention.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Registration;
import java.util.HashSet;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.junit.jupiter.api.Test;

/**
 * The registrator keeps the wire format the cost model was measured with: every id Spark hands out
 * is the one it had when conf listed the shuffled records in {@code spark.kryo.classesToRegister}.
 */
class SparkAttentionKryoRegistratorTest {
  /** What conf/spark-defaults.conf registered before the registrator, in its order. */
  static final String CLASSES_TO_REGISTER_BEFORE =
      "io.sparkattention.spark.attention.RouteKey,io.sparkattention.spark.attention.TokenPart,"
          + "io.sparkattention.spark.io.FinishedToken,"
          + "io.sparkattention.spark.attention.PyramidReduction$PyramidStep,"
          + "io.sparkattention.spark.pooling.PoolStep,io.sparkattention.spark.pooling.PooledBlock,"
          + "io.sparkattention.spark.pooling.PooledGroup";

  static Kryo kryo(SparkConf conf) {
    return new KryoSerializer(conf.set("spark.kryo.registrationRequired", "true")).newKryo();
  }

  @Test
  void everyClassLoadsAndIsNamedOnce() {
    List<Class<?>> classes = SparkAttentionKryoRegistrator.classes();
    assertEquals(
        SparkAttentionKryoRegistrator.SHUFFLED_RECORDS.size()
            + SparkAttentionKryoRegistrator.OTHER_CLASSES.size(),
        classes.size());
    assertEquals(classes.size(), new HashSet<>(classes).size(), "a class named twice");
  }

  @Test
  void everyIdOfSparksAndOfTheShuffledRecordsStaysWhereItWas() {
    Kryo before =
        kryo(new SparkConf(false).set("spark.kryo.classesToRegister", CLASSES_TO_REGISTER_BEFORE));
    Kryo now =
        kryo(
            new SparkConf(false)
                .set("spark.kryo.registrator", SparkAttentionKryoRegistrator.class.getName()));
    int spark = before.getNextRegistrationId();
    assertTrue(
        spark <= SparkAttentionKryoRegistrator.FIRST_OTHER_ID,
        "Spark now registers ids up to " + (spark - 1) + ": move FIRST_OTHER_ID past them");
    for (int id = 0; id < spark; id++) {
      Registration b = before.getRegistration(id);
      Registration n = now.getRegistration(id);
      assertEquals(b == null ? null : b.getType(), n == null ? null : n.getType(), "id " + id);
    }
    List<String> others = SparkAttentionKryoRegistrator.OTHER_CLASSES;
    for (int i = 0; i < others.size(); i++) {
      assertEquals(
          others.get(i),
          now.getRegistration(SparkAttentionKryoRegistrator.FIRST_OTHER_ID + i)
              .getType()
              .getName());
    }
  }
}
