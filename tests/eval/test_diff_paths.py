"""The paths a diff touches, from its headers: renames, quoting, hunk lines that look alike."""

from __future__ import annotations

from app.eval.diff_paths import touched_paths, unquote

PATCH = """diff --git a/a.py b/a.py
index 1..2 100644
--- a/a.py
+++ b/a.py
@@ -1,3 +1,3 @@
 x = 1
--- a/not_a_header.py
+++ b/nor_this.py
 y = 2
diff --git a/old/name.py b/new/name.py
similarity index 100%
rename from old/name.py
rename to new/name.py
diff --git a/empty b/empty
new file mode 100644
index 0000000..e69de29
diff --git "a/caf\\303\\251 \\"q\\".py" "b/caf\\303\\251 \\"q\\".py"
deleted file mode 100644
--- "a/caf\\303\\251 \\"q\\".py"
+++ /dev/null
@@ -1 +0,0 @@
-gone
\\ No newline at end of file
diff --git a/with space.txt b/with space.txt
--- a/with space.txt\t
+++ b/with space.txt\t
@@ -1 +1,2 @@
 a
+b
"""


def test_every_path_once_and_no_hunk_line_taken_for_a_header() -> None:
    assert touched_paths(PATCH) == [
        "a.py", "old/name.py", "new/name.py", "empty", 'café "q".py', "with space.txt",
    ]  # fmt: skip


def test_unquote() -> None:
    assert unquote("plain name") == "plain name"
    assert unquote('"tab\\there\\\\"') == "tab\there\\"
