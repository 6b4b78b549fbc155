package io.sparkattention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README links out to docs/: every relative link in README.md and docs/ must name a file that
 * exists, and a {@code #fragment} a heading of that file (GitHub's anchor rule), so a moved or
 * renamed page fails the build instead of leaving a dead link.
 */
class DocsLinksTest {
  private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
  private static final Pattern FENCE = Pattern.compile("(?s)```.*?```");

  @Test
  void everyRelativeLinkResolves() throws IOException {
    List<Path> pages = new ArrayList<>(List.of(Paths.get("README.md")));
    try (Stream<Path> docs = Files.walk(Paths.get("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    assertTrue(pages.size() >= 8, "README and the docs/ pages: " + pages);
    List<String> broken = new ArrayList<>();
    int links = 0;
    for (Path page : pages) {
      String text = FENCE.matcher(Files.readString(page)).replaceAll("");
      Matcher m = LINK.matcher(text);
      while (m.find()) {
        links++;
        String link = m.group(1);
        if (link.matches("[a-z]+:.*")) {
          continue; // http(s) and mailto: not checked here
        }
        int hash = link.indexOf('#');
        String file = hash < 0 ? link : link.substring(0, hash);
        Path target = file.isEmpty() ? page : page.resolveSibling(file).normalize();
        if (!Files.exists(target)) {
          broken.add(page + ": " + link + " (no such file)");
        } else if (hash >= 0 && !anchors(target).contains(link.substring(hash + 1))) {
          broken.add(page + ": " + link + " (no such heading)");
        }
      }
    }
    assertTrue(links >= 20, "the scan sees the links: " + links);
    assertTrue(broken.isEmpty(), "broken links:\n" + String.join("\n", broken));
  }

  /** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
  private static Set<String> anchors(Path page) throws IOException {
    String text = FENCE.matcher(Files.readString(page)).replaceAll("");
    return text.lines()
        .filter(l -> l.startsWith("#"))
        .map(
            l ->
                l.replaceFirst("^#+", "")
                    .strip()
                    .toLowerCase(Locale.ROOT)
                    .replaceAll("[^\\p{L}\\p{N}_ -]", "")
                    .replace(' ', '-'))
        .collect(Collectors.toCollection(HashSet::new));
  }
}
