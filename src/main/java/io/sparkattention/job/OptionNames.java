package io.sparkattention.job;

import io.sparkattention.spark.InputException;
import java.util.Map;

/**
 * A job's names for the library's parameters: the library's errors name the parameter ({@code heads
 * must be >= 1}), the job's name the option the user typed ({@code --heads must be >= 1}).
 */
final class OptionNames {
  private final Map<String, String> optionOf;

  /** Options by parameter name, e.g. {@code Map.of("blockSize", "--block-size")}. */
  OptionNames(Map<String, String> optionOf) {
    this.optionOf = Map.copyOf(optionOf);
  }

  /**
   * {@code e} in the job's words: the parameter replaced by its option; an error of data, or of a
   * parameter the job does not set, as it is.
   */
  InputException named(InputException e) {
    String option = e.parameter() == null ? null : optionOf.get(e.parameter());
    return option == null ? e : new InputException(option + " " + e.problem(), e);
  }
}
