package io.sparkattention.spark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.spark.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claims on an output path, in this JVM: locks of other hosts, of dead processes and of this JVM,
 * and leftovers that cannot be sorted out. (Killed drivers: {@code OutputKillSparkTest}.)
 */
class OutputClaimSparkTest {
  static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
  }

  static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void aClaimTakesTheLockAndReleasesIt() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "plain");
    String out = dir.resolve("out").toString();
    try (OutputClaim claim = ResultWriter.checkOutput(spark, out, false)) {
      assertEquals(List.of("out.lock"), names(dir));
      assertEquals(List.of(), claim.recovered());
      assertTrue(ResultWriter.checkOutput(spark, out, false) == claim, "held: the same claim");
    }
    assertEquals(List.of(), names(dir));
  }

  @Test
  void aLockOfAnotherHostIsRefusedNamingTheFileToDelete() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "otherhost");
    Path lock =
        Files.writeString(
            dir.resolve("out.lock"), "app=app-7 host=elsewhere.example pid=42 started=1");
    String out = dir.resolve("out").toString();
    InputException e =
        assertThrows(InputException.class, () -> ResultWriter.checkOutput(spark, out, true));
    assertEquals(
        "output path "
            + out
            + " is being written by application app-7, process 42 on elsewhere.example on"
            + " another host; wait for it to finish, or, if it is no longer running, delete "
            + "file:"
            + lock,
        e.getMessage());
    assertTrue(Files.exists(lock), "left alone");
  }

  @Test
  void aLockOfADeadProcessOrOfThisJvmUnheldIsTakenOver() throws Exception {
    Path dir = Files.createTempDirectory(tmp, "dead");
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String host = OutputLock.localHost();
    String out = dir.resolve("out").toString();
    for (long pid : new long[] {gone.pid(), ProcessHandle.current().pid()}) {
      Files.writeString(
          dir.resolve("out.lock"), "app=app-1 host=" + host + " pid=" + pid + " started=0");
      try (OutputClaim claim = ResultWriter.checkOutput(spark, out, false)) {
        String mine = Files.readString(dir.resolve("out.lock"));
        assertTrue(mine.contains("pid=" + ProcessHandle.current().pid()), mine);
        assertFalse(mine.contains("app=app-1"), mine);
      }
    }
  }

  @Test
  void aLockNamingNoOwnerIsRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "garbled");
    Files.writeString(dir.resolve("out.lock"), "garbage");
    String out = dir.resolve("out").toString();
    InputException e =
        assertThrows(InputException.class, () -> ResultWriter.checkOutput(spark, out, true));
    assertTrue(e.getMessage().contains("which does not name its owner"), e.getMessage());
  }

  @Test
  void severalOldOutputsAndNothingAtThePathAreRefused() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "twoold");
    Files.createDirectories(dir.resolve("out.old-app-1"));
    Files.createDirectories(dir.resolve("out.old-app-2"));
    String out = dir.resolve("out").toString();
    InputException e =
        assertThrows(InputException.class, () -> ResultWriter.checkOutput(spark, out, true));
    assertTrue(
        e.getMessage().startsWith("output path " + out + " is missing and several earlier"),
        e.getMessage());
    assertEquals(List.of("out.old-app-1", "out.old-app-2"), names(dir), "no lock kept");
  }

  @Test
  void anOldOutputWithNothingAtThePathIsPutBack() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "putback");
    Files.createDirectories(dir.resolve("out.old-app-1"));
    Files.writeString(dir.resolve("out.old-app-1").resolve("part-0"), "previous");
    Files.createDirectories(dir.resolve("out.staging-app-1"));
    String out = dir.resolve("out").toString();
    InputException e =
        assertThrows(InputException.class, () -> ResultWriter.checkOutput(spark, out, false));
    assertEquals(
        "output path already exists: " + out + " (use --overwrite to replace it)", e.getMessage());
    assertEquals(List.of("out"), names(dir));
    assertEquals("previous", Files.readString(dir.resolve("out").resolve("part-0")));
  }
}
