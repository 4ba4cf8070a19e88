package io.zmesh.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every rule of docs/protocol.md is held by a test: each tag the page defines ({@code **[W-4]**})
 * is named by the {@link Checks} of some test of this package, and every test of the package
 * names tags the page defines.
 */
class CoverageTest {
  private static final Pattern DEFINED = Pattern.compile("\\*\\*\\[([A-Z]+-\\d+)]\\*\\*");
  private static final Pattern REFERENCED = Pattern.compile("\\[([A-Z]+-\\d+)]");

  private static String page() throws IOException {
    // Tests run in the module's folder; the page is the repository's.
    return Files.readString(Path.of("..", "docs", "protocol.md"), StandardCharsets.UTF_8);
  }

  private static Set<String> defined(String page) {
    Set<String> tags = new TreeSet<>();
    Matcher m = DEFINED.matcher(page);
    while (m.find()) {
      assertTrue(tags.add(m.group(1)), "tag " + m.group(1) + " is defined twice");
    }
    return tags;
  }

  /** The test methods of this package and what they check. */
  private static List<Method> tests() throws IOException, URISyntaxException {
    Path dir = Path.of(CoverageTest.class.getProtectionDomain().getCodeSource().getLocation()
        .toURI()).resolve(CoverageTest.class.getPackageName().replace('.', '/'));
    List<Method> methods = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        if (!name.endsWith(".class") || name.contains("$")) {
          continue;
        }
        Class<?> c;
        try {
          c = Class.forName(CoverageTest.class.getPackageName() + "."
              + name.substring(0, name.length() - ".class".length()));
        } catch (ClassNotFoundException e) {
          throw new AssertionError(e);
        }
        for (Method m : c.getDeclaredMethods()) {
          if (m.isAnnotationPresent(Test.class) && c != CoverageTest.class) {
            methods.add(m);
          }
        }
      }
    }
    return methods;
  }

  @Test
  void everyRuleOfThePageIsCheckedAndEveryCheckNamesARuleOfThePage() throws Exception {
    String page = page();
    Set<String> defined = defined(page);
    assertTrue(defined.size() > 40, "the page defines only " + defined);
    Set<String> checked = new TreeSet<>();
    List<String> unknown = new ArrayList<>();
    List<String> untagged = new ArrayList<>();
    for (Method m : tests()) {
      Checks checks = m.getAnnotation(Checks.class);
      if (checks == null) {
        untagged.add(m.getDeclaringClass().getSimpleName() + "." + m.getName());
        continue;
      }
      for (String tag : checks.value()) {
        checked.add(tag);
        if (!defined.contains(tag)) {
          unknown.add(m.getDeclaringClass().getSimpleName() + "." + m.getName() + ": " + tag);
        }
      }
    }
    Set<String> unchecked = new TreeSet<>(defined);
    unchecked.removeAll(checked);
    assertEquals(Set.of(), unchecked, "rules of docs/protocol.md no test checks");
    assertEquals(List.of(), unknown, "tests naming tags docs/protocol.md does not define");
    assertEquals(List.of(), untagged, "conformance tests that name no rule");
  }

  @Test
  void everyTagThePageReferencesIsDefined() throws IOException {
    String page = page();
    Set<String> defined = defined(page);
    Matcher m = REFERENCED.matcher(page);
    Set<String> dangling = new TreeSet<>();
    while (m.find()) {
      if (!defined.contains(m.group(1))) {
        dangling.add(m.group(1));
      }
    }
    assertEquals(Set.of(), dangling, "tags referenced but never defined");
  }
}
