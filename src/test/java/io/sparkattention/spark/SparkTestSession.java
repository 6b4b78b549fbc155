package io.sparkattention.spark;

import com.holdenkarau.spark.testing.JavaDataFrameSuiteBase;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * One local[2,4] Spark session shared by all Spark tests of the JVM (surefire reuses one fork), set
 * up through spark-testing-base with the UI off and the driver on loopback.
 */
public final class SparkTestSession {
  private static Stb stb;

  private SparkTestSession() {}

  /** spark-testing-base's suite, configured for these machines. */
  public static final class Stb extends JavaDataFrameSuiteBase {
    @Override
    public SparkConf conf() {
      return super.conf()
          // Two threads, and four attempts per task as on a cluster (spark.task.maxFailures): a
          // failed attempt is retried, so FaultToleranceSparkTest can inject failures.
          .setMaster("local[2,4]")
          .set("spark.ui.enabled", "false")
          .set("spark.driver.host", "127.0.0.1")
          .set("spark.driver.bindAddress", "127.0.0.1")
          .set("spark.sql.shuffle.partitions", "4")
          // As conf/spark-defaults.conf: what is shipped must survive Kryo too.
          .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
          .set(
              "spark.kryo.classesToRegister",
              "io.sparkattention.spark.RouteKey,io.sparkattention.spark.TokenPart,"
                  + "io.sparkattention.spark.FinishedToken,"
                  + "io.sparkattention.spark.PyramidReduction$PyramidStep,"
                  + "io.sparkattention.spark.PoolStep,io.sparkattention.spark.PooledBlock,"
                  + "io.sparkattention.spark.PooledGroup");
    }

    @Override
    public boolean enableHiveSupport() {
      return false;
    }
  }

  /** The shared suite (started on first use). */
  public static synchronized Stb suite() {
    if (stb == null) {
      stb = new Stb();
      stb.runBefore();
    }
    return stb;
  }

  public static SparkSession spark() {
    return suite().spark();
  }
}
