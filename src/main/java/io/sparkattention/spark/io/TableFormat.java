package io.sparkattention.spark.io;

import io.sparkattention.spark.InputException;
import java.util.Locale;

/** The file formats a token table can be read from and written to. */
public enum TableFormat {
  PARQUET,
  JSON;

  /** Parses "parquet" or "json" (case-insensitive). */
  public static TableFormat parse(String name) {
    switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "parquet":
        return PARQUET;
      case "json":
      case "jsonl":
        return JSON;
      default:
        throw new InputException("unknown format '" + name + "' (valid: parquet, json)");
    }
  }

  /** JSON for paths ending in .json, .jsonl or .ndjson; otherwise Parquet. */
  public static TableFormat fromPath(String path) {
    String p = path.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
    if (p.endsWith(".json") || p.endsWith(".jsonl") || p.endsWith(".ndjson")) {
      return JSON;
    }
    return PARQUET;
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
