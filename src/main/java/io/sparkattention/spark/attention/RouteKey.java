package io.sparkattention.spark.attention;

import java.io.Serializable;

/**
 * Shuffle key of a token sent to a tile task: the task, the role (queries sort before keys, so a
 * task holds its queries before the keys stream past), and the position (canonical key order).
 */
final class RouteKey implements Comparable<RouteKey>, Serializable {
  private static final long serialVersionUID = 1L;

  public static final byte QUERY = 0;
  public static final byte KEY = 1;

  final int task;
  final byte role;
  final long pos;

  public RouteKey(int task, byte role, long pos) {
    this.task = task;
    this.role = role;
    this.pos = pos;
  }

  @Override
  public int compareTo(RouteKey o) {
    if (task != o.task) {
      return Integer.compare(task, o.task);
    }
    if (role != o.role) {
      return Byte.compare(role, o.role);
    }
    return Long.compare(pos, o.pos);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RouteKey && compareTo((RouteKey) o) == 0;
  }

  @Override
  public int hashCode() {
    return (task * 31 + role) * 31 + Long.hashCode(pos);
  }

  @Override
  public String toString() {
    return "task " + task + (role == QUERY ? " query " : " key ") + pos;
  }
}
