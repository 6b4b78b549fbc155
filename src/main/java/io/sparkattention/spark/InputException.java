package io.sparkattention.spark;

/**
 * Bad input or options: the message says what is wrong and where (column, seq_id/pos, parameter,
 * path), and is meant for the user as it is, without a stack trace. An error in a value of the
 * library's API (an {@link AttentionSpec} or a request) names the {@link #parameter() parameter},
 * so that a command line can say which of its options that was.
 */
public class InputException extends IllegalArgumentException {
  private static final long serialVersionUID = 2L;

  private final String parameter;
  private final String problem;

  public InputException(String message) {
    this(message, (Throwable) null);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
    this.parameter = null;
    this.problem = message;
  }

  private InputException(String parameter, String problem) {
    super(parameter + " " + problem);
    this.parameter = parameter;
    this.problem = problem;
  }

  /**
   * A bad value of the API parameter {@code parameter}: the message is {@code parameter + " " +
   * problem}, e.g. {@code "heads must be >= 1, got 0"}.
   */
  public static InputException forParameter(String parameter, String problem) {
    return new InputException(parameter, problem);
  }

  /** The API parameter at fault ({@code heads}, {@code window}, …), or null for bad data. */
  public String parameter() {
    return parameter;
  }

  /** What is wrong with {@link #parameter()}'s value (the whole message for bad data). */
  public String problem() {
    return problem;
  }
}
