package io.sparkattention.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/**
 * The project's version, whose one copy is the pom's {@code <version>}: read from the jar
 * manifest's {@code Implementation-Version} (written from the pom by maven-jar-plugin and
 * maven-shade-plugin), or, when the classes run from a directory (tests, an IDE), from {@code
 * version.properties} beside this class, which the build filters from the pom. Every job's {@code
 * --version} prints it through this class ({@code @Command(versionProvider = Version.class)}).
 */
public final class Version implements CommandLine.IVersionProvider {
  /** What {@code --version} prints before the release. */
  static final String NAME = "spark-attention";

  static final String UNKNOWN = "unknown";
  private static final String SNAPSHOT = "-SNAPSHOT";

  /**
   * The build's version, e.g. {@code 0.1.0-SNAPSHOT}; {@code unknown} when neither source has it.
   */
  public static String number() {
    String fromManifest = Version.class.getPackage().getImplementationVersion();
    if (fromManifest != null && !fromManifest.isBlank()) {
      return fromManifest.strip();
    }
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return UNKNOWN;
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "").strip();
      // Unfiltered (classes compiled outside Maven): the placeholder is no version.
      return v.isEmpty() || v.startsWith("${") ? UNKNOWN : v;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The Spark line and Scala binary version this build is for, e.g. {@code 3.5_2.12} (the suffix of
   * the artifact id); {@code unknown} when run from unfiltered classes.
   */
  public static String builtFor() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return UNKNOWN;
      }
      Properties p = new Properties();
      p.load(in);
      String line = p.getProperty("sparkLine", "").strip();
      String scala = p.getProperty("scalaBinary", "").strip();
      return line.isEmpty() || line.startsWith("${") || scala.isEmpty() || scala.startsWith("${")
          ? UNKNOWN
          : line + "_" + scala;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The versions a job runs with, for its first log line: {@code spark-attention 0.1.0 (built for
   * Spark 3.5, Scala 2.12) on Spark 3.5.7, Scala 2.12.18, Java 17.0.15}.
   */
  public static String runtime(String sparkVersion) {
    String built = builtFor();
    String[] parts = built.split("_");
    String builtText =
        parts.length == 2 ? "built for Spark " + parts[0] + ", Scala " + parts[1] : "build unknown";
    return NAME
        + " "
        + release(number())
        + " ("
        + builtText
        + ") on Spark "
        + sparkVersion
        + ", Scala "
        + scala.util.Properties.versionNumberString()
        + ", Java "
        + Runtime.version();
  }

  /**
   * Whether this build's Spark line and Scala binary version fit the running ones (true when the
   * build's are unknown).
   */
  static boolean fits(String sparkVersion, String scalaVersion) {
    String[] parts = builtFor().split("_");
    if (parts.length != 2) {
      return true;
    }
    return sparkVersion.startsWith(parts[0] + ".") && scalaVersion.startsWith(parts[1] + ".");
  }

  /**
   * The release {@code number} belongs to: without a {@code -SNAPSHOT} suffix, so that a snapshot
   * build says {@code spark-attention 0.1.0} as the jobs always have.
   */
  static String release(String number) {
    return number.endsWith(SNAPSHOT)
        ? number.substring(0, number.length() - SNAPSHOT.length())
        : number;
  }

  /** {@code spark-attention RELEASE}: the one line of every job's {@code --version}. */
  @Override
  public String[] getVersion() {
    return new String[] {NAME + " " + release(number())};
  }
}
