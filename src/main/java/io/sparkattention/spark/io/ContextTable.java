package io.sparkattention.spark.io;

/**
 * Where cross-attention reads its keys and values: a token table ({@code seq_id}, {@code pos},
 * {@code x}) holding the same seq_ids as the input.
 *
 * @param path the table's path
 * @param format its format
 */
public record ContextTable(String path, TableFormat format) {
  public ContextTable {
    if (path == null || format == null) {
      throw new IllegalArgumentException("a context table needs a path and a format");
    }
  }
}
