package io.sparkattention.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** What the end-to-end benchmarks share: their options, their Spark session, their clean-up. */
final class BenchSupport {
  private BenchSupport() {}

  /**
   * {@code --name value} pairs by name.
   *
   * @throws IllegalArgumentException naming {@code usage} and the bad argument
   */
  static Map<String, String> options(String[] args, String usage) {
    Map<String, String> opt = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "usage: " + usage + "; bad argument '" + args[i] + "'");
      }
      opt.put(args[i].substring(2), args[++i]);
    }
    return opt;
  }

  /**
   * A session as the jobs run (Kryo with the project's registrator, loopback), quiet logging; with
   * the {@code spark.authenticate*} properties of the file named by the system property {@code
   * sa.cluster.properties} (jobs/local-cluster's secret, which the bench scripts name when the
   * master is that cluster).
   */
  static SparkSession session(String master, String appName) {
    SparkSession.Builder builder = SparkSession.builder();
    String clusterProperties = System.getProperty("sa.cluster.properties");
    if (clusterProperties != null) {
      Properties p = new Properties();
      try (var in = Files.newBufferedReader(Path.of(clusterProperties))) {
        p.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the cluster's secret " + clusterProperties, e);
      }
      for (String key : p.stringPropertyNames()) {
        if (key.startsWith("spark.authenticate")) {
          builder.config(key, p.getProperty(key).strip());
        }
      }
    }
    SparkSession spark =
        builder
            .master(master)
            .appName(appName)
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
            .config(
                "spark.kryo.registrator", "io.sparkattention.spark.SparkAttentionKryoRegistrator")
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }

  /** Deletes {@code p} and everything below it, if it exists. */
  static void deleteRecursively(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      walk.sorted((a, b) -> b.getNameCount() - a.getNameCount())
          .forEach(
              f -> {
                try {
                  Files.delete(f);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
