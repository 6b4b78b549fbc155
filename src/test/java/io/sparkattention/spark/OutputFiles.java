package io.sparkattention.spark;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The bytes a job wrote: its part files, in partition order. */
public final class OutputFiles {
  private OutputFiles() {}

  /** Part file names (part-00000-…) in order. */
  public static List<Path> parts(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith("part-"))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  /**
   * The part files' contents concatenated in partition order. Part names carry a random write id,
   * so two runs' files differ in name only; this is what "byte-identical output" compares.
   */
  public static byte[] bytes(Path dir) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (Path p : parts(dir)) {
      all.write(Files.readAllBytes(p));
    }
    return all.toByteArray();
  }
}
