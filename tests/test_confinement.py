"""Output confinement (issue 8): nothing is written or deleted outside --out
(besides the archive's own .cache/), and a build refuses an output folder
whose replacement would destroy something that is not a built site."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archivegen.output import OutputError, Staging, check_out_dir
from archivegen.slugs import WINDOWS_RESERVED

from safety import art, build_ok, run, small_archive, snapshot, write

HOSTILE_NAMES = {
    "section": '"../../../escaped"',
    "tags": '["../../etc/passwd", "/abs", "a/../../b", "con", "..", "."]',
    "authors": '["../x"]',
}
# a title whose slug would be a Windows device name
RESERVED_TITLE = '"Con"'



def outside(tmp_path: Path, out: Path, root: Path) -> dict:
    """Everything below tmp_path except the output folder, its buffer (the
    previous site, kept as .<name>.staging for the next build) and the archive's cache."""
    snap = snapshot(tmp_path)
    skip = []
    for base in (out, out.parent / f".{out.name}.staging", root / ".cache"):
        try:
            skip.append(base.relative_to(tmp_path).as_posix())
        except ValueError:
            pass
    return {k: v for k, v in snap.items() if not any(k == s + "/" or k.startswith(s + "/") for s in skip)}


@pytest.mark.parametrize("out_rel", ["archive/site", "elsewhere/deep/site", "archive/content-site"])
def test_nothing_written_outside_out(tmp_path, capsys, out_rel):
    root = small_archive(tmp_path / "archive")
    write(root, "content/articles/2013/hostile.md",
          art(title='"Path games"', date="2013-09-01", **HOSTILE_NAMES))
    write(root, "content/articles/2013/aux-title.md", art(title=RESERVED_TITLE, date="2013-09-02", tags="[Aux, NUL]"))
    (tmp_path / "elsewhere").mkdir()
    write(tmp_path, "elsewhere/keep.txt", "mine")
    out = tmp_path / out_rel
    before = outside(tmp_path, out, root)
    build_ok(capsys, root, out)
    build_ok(capsys, root, out, "--clean")
    write(root, "content/articles/2013/article-1.md", art(title='"Changed"', date="2013-08-02"))
    build_ok(capsys, root, out)
    after = outside(tmp_path, out, root)
    # the only new thing outside --out may be the folders leading to it
    added = {k for k in after if k not in before}
    assert all(v == "<dir>" and out.as_posix().startswith((tmp_path / k.rstrip("/")).as_posix()) for k, v in
               ((k, after[k]) for k in added)), added
    edited = "archive/content/articles/2013/article-1.md"  # changed by this test, between builds
    assert {k: after[k] for k in before if k != edited} == {k: v for k, v in before.items() if k != edited}
    for p in out.rglob("*"):  # and every file is really inside, under a name every host accepts
        assert p.resolve().is_relative_to(out.resolve())
        assert p.name.split(".")[0].lower() not in WINDOWS_RESERVED, p
        assert not set(p.name) & set('<>:"\\|?*'), p


def test_failed_build_touches_nothing(tmp_path, capsys):
    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out)
    write(root, "content/articles/2013/bad.md", "---\ntitle: [\n---\n")
    before = snapshot(tmp_path)
    rc, _, _ = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet")
    assert rc == 1
    assert snapshot(tmp_path) == before


def test_symlinked_out_keeps_the_link(tmp_path, capsys):
    root = small_archive(tmp_path / "archive")
    real = tmp_path / "www" / "archive"
    real.mkdir(parents=True)
    (root / "site").symlink_to(real, target_is_directory=True)
    for i in range(3):
        write(root, "content/articles/2013/article-0.md", art(title=f'"Version {i}"', date="2013-08-01"))
        build_ok(capsys, root, root / "site")
        assert (root / "site").is_symlink() and os.readlink(root / "site") == str(real)
        assert f"Version {i}" in (real / "2013/08/01/version-" f"{i}/index.html").read_text()
    assert sorted(p.name for p in root.iterdir()) == [".cache", "content", "site"]
    # beside the real folder: only the buffer, the previous build kept for the next one to start from
    assert sorted(p.name for p in real.parent.iterdir()) == [".archive.staging", "archive"]
    assert (real.parent / ".archive.staging/.archivegen-buffer").is_file()


# -- refusing dangerous output folders -------------------------------------------------------

def refused(capsys, root, out, *extra) -> str:
    before = snapshot(root.parent)
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet", *extra)
    assert rc == 2, err
    assert err.startswith("archivegen: ") and "Traceback" not in err
    assert snapshot(root.parent) == before
    return err


@pytest.mark.parametrize("clean", [[], ["--clean"]])
def test_refuses_archive_root(tmp_path, capsys, clean):
    root = small_archive(tmp_path / "archive")
    err = refused(capsys, root, root, *clean)
    assert "is the archive root or contains it" in err


@pytest.mark.parametrize("clean", [[], ["--clean"]])
def test_refuses_parent_of_root(tmp_path, capsys, clean):
    root = small_archive(tmp_path / "archive")
    err = refused(capsys, root, tmp_path, *clean)
    assert "is the archive root or contains it" in err


def test_refuses_folder_inside_content(tmp_path, capsys):
    root = small_archive(tmp_path / "archive")
    err = refused(capsys, root, root / "content" / "site")
    assert "overlaps content/" in err


def test_refuses_folder_holding_content(tmp_path, capsys):
    root = small_archive(tmp_path / "archive")
    other = small_archive(tmp_path / "other-archive")
    (other / ".archivegen-site").write_text("forged marker\n")
    err = refused(capsys, root, other)
    assert "holds content/ or .git; it is not a built site" in err


def test_refuses_git_checkout(tmp_path, capsys):
    root = small_archive(tmp_path / "archive")
    repo = tmp_path / "project"
    (repo / ".git").mkdir(parents=True)
    (repo / ".archivegen-site").write_text("")
    err = refused(capsys, root, repo)
    assert "holds content/ or .git" in err


@pytest.mark.parametrize("clean", [[], ["--clean"]])
def test_refuses_folder_not_made_by_archivegen(tmp_path, capsys, clean):
    root = small_archive(tmp_path / "archive")
    docs = tmp_path / "my-documents"
    write(docs, "thesis.tex", "years of work")
    err = refused(capsys, root, docs, *clean)
    assert f"output folder {docs} was not made by archivegen (no .archivegen-site file); empty it or choose another --out" in err


def test_refuses_a_file(tmp_path, capsys):
    root = small_archive(tmp_path / "archive")
    f = tmp_path / "notes.txt"
    f.write_text("x")
    err = refused(capsys, root, f)
    assert "exists and is not a folder" in err


def test_accepts_empty_folder_and_own_site(tmp_path, capsys):
    root = small_archive(tmp_path / "archive")
    empty = tmp_path / "empty"
    empty.mkdir()
    build_ok(capsys, root, empty)
    build_ok(capsys, root, empty, "--clean")


def test_refusal_via_symlink(tmp_path, capsys):
    root = small_archive(tmp_path / "archive")
    (tmp_path / "sneaky").symlink_to(root, target_is_directory=True)
    err = refused(capsys, root, tmp_path / "sneaky")
    assert "archive root" in err


def test_check_out_dir_directly(tmp_path):
    root = small_archive(tmp_path / "archive")
    for bad in (root, tmp_path, root / "content", root / "content/articles", Path("/")):
        with pytest.raises(OutputError):
            check_out_dir(bad, root)
    check_out_dir(root / "site", root)  # not existing yet: fine
    check_out_dir(tmp_path / "elsewhere", root)


@pytest.mark.parametrize("rel", ["../x.html", "/etc/passwd", "a/../../x", "a\x00b", "", "."])
def test_staging_refuses_paths_outside(tmp_path, rel):
    staging = Staging(tmp_path / "site")
    try:
        with pytest.raises(OutputError):
            staging.write(rel, "x")
    finally:
        staging.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_stale_staging_symlink_is_unlinked_not_followed(tmp_path, capsys):
    """A leftover .site.staging that is a symlink must not make a build
    delete what it points to."""
    root = small_archive(tmp_path / "archive")
    precious = tmp_path / "precious"
    write(precious, "data.txt", "keep me")
    (root / ".site.staging").symlink_to(precious, target_is_directory=True)
    (root / ".site.old").symlink_to(precious, target_is_directory=True)
    build_ok(capsys, root, root / "site")
    assert (precious / "data.txt").read_text() == "keep me"
    assert not (root / ".site.staging").is_symlink() and not (root / ".site.old").is_symlink()


@given(st.lists(st.sampled_from(["a", "b.html", "/", ".", "..", "...", "\\", "\x00", " ", "index.html"]),
                max_size=8).map("".join))
@settings(max_examples=300, deadline=None)
def test_staging_names_joined_as_strings_are_the_ones_target_gives(rel):
    """Staging._paths_of joins the usual names as strings: for any name it must give the file
    ``target`` gives, and refuse what ``target`` refuses."""
    import tempfile

    staging = Staging.__new__(Staging)  # only the paths: no folders made
    base = Path(tempfile.gettempdir()) / "confinement-names"
    staging.out, staging.dir = base / "site", base / ".site.staging"
    staging._dir, staging._out = str(staging.dir), str(staging.out)
    try:
        expected = staging.target(rel)
    except OutputError:
        with pytest.raises(OutputError):
            staging._paths_of(rel)
        return
    dest, published = staging._paths_of(rel)
    assert os.path.normpath(dest) == os.path.normpath(expected)
    assert os.path.normpath(published) == os.path.normpath(staging.out / os.path.relpath(expected, staging.dir))


@pytest.mark.parametrize("rel", ["templates/static/pw.txt", "templates/partials/head_meta.html"])
def test_a_template_or_static_file_linked_from_outside_the_archive_is_refused(tmp_path, capsys, rel):
    """Published files never come from outside the archive through a link."""
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n")
    root = small_archive(tmp_path / "archive")
    out = root / "site"
    build_ok(capsys, root, out)
    before = snapshot(out)
    link = root / rel
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(secret)
    rc, _, err = run(capsys, "build", "--root", root, "--out", out, "--no-search", "--quiet")
    assert rc == 1 and f"{rel}: error: symbolic link leads outside the archive" in err, err
    assert snapshot(out) == before
    assert not any("root:x:0:0" in p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())


def test_a_linked_folder_inside_static_is_not_walked(tmp_path, capsys):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "pw.txt").write_text("root:x:0:0\n")
    root = small_archive(tmp_path / "archive")
    (root / "templates" / "static").mkdir(parents=True)
    (root / "templates" / "static" / "shared").symlink_to(tmp_path / "shared")
    build_ok(capsys, root, root / "site")
    assert not (root / "site" / "static" / "shared").exists()


def test_a_theme_folder_linked_as_a_whole_is_the_theme(tmp_path, capsys):
    """templates/ itself may be a link to a theme shared by several archives."""
    root = small_archive(tmp_path / "archive")
    theme = tmp_path / "shared-theme"
    (theme / "static").mkdir(parents=True)
    (theme / "static" / "extra.css").write_text("body { margin: 0 }\n")
    (root / "templates").symlink_to(theme)
    build_ok(capsys, root, root / "site")
    assert (root / "site" / "static" / "extra.css").read_text() == "body { margin: 0 }\n"
