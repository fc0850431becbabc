"""The docs stay true: every command shown in README.md, configs/README.md and docs/*.md names
tools, configs, scripts and options that exist (our tools' own parsers accept the arguments
shown), and every relative link resolves, its anchor included."""
import importlib
import re
import shlex
import unicodedata
from pathlib import Path

import pytest

from conftest import REPO

DOCS = [REPO / 'README.md', REPO / 'configs' / 'README.md'] + sorted((REPO / 'docs').glob('*.md'))
SHELL_BLOCKS = ('bash', 'sh', 'shell')
REPO_DIRS = ('configs/', 'tools/', 'slurm/', 'scripts/', 'benchmarks/', 'docs/', 'tests/')
STAGE_TOOLS = {'free-mask': 'free_mask', 'train': 'train', 'self-train': 'self_train',
               'pretrain': 'pretrain'}


def fenced_blocks(text: str):
    """(language, body) of every fenced block (``` or ~~~)."""
    for match in re.finditer(r'^(```|~~~)(\w*)\n(.*?)^\1\s*$', text, re.M | re.S):
        yield match.group(2), match.group(3)


def prose(text: str) -> str:
    """The text outside fenced blocks and inline code."""
    text = re.sub(r'^(```|~~~)\w*\n.*?^\1\s*$', '', text, flags=re.M | re.S)
    return re.sub(r'`[^`\n]*`', '', text)


def shell_commands(body: str):
    """Each command of a shell block, continuation lines joined, comments dropped, as tokens
    without the leading VAR=value assignments."""
    for line in body.replace('\\\n', ' ').splitlines():
        tokens = shlex.split(line, comments=True)
        while tokens and re.match(r'^[A-Z_]+=', tokens[0]):
            tokens.pop(0)
        if tokens:
            yield tokens


def anchors(markdown: Path) -> set:
    """GitHub's anchors of a file's headings: lower case, punctuation dropped, spaces to '-'."""
    found = set()
    for heading in re.findall(r'^#{1,6} (.+)$', prose_keep_code(markdown.read_text()), re.M):
        slug = ''.join(c for c in heading.lower().replace('`', '')
                       if c in ' -_' or unicodedata.category(c)[0] in 'LN')
        found.add(slug.replace(' ', '-'))
    return found


def prose_keep_code(text: str) -> str:
    return re.sub(r'^(```|~~~)\w*\n.*?^\1\s*$', '', text, flags=re.M | re.S)


def check_repo_paths(tokens, where):
    for token in tokens:
        value = token.split('=', 1)[-1]
        if value.startswith('mmfreesolo::'):
            value = 'configs/' + value[len('mmfreesolo::'):]
        if value.startswith(REPO_DIRS) and '*' not in value and '<' not in value:
            assert (REPO / value).exists(), f'{where}: {value} does not exist'


def check_our_tool(tool: str, args, where):
    """``tools/<tool>.py args``: its parser accepts them (submit.py: its own options, then the
    stage's tool's)."""
    assert (REPO / 'tools' / f'{tool}.py').is_file(), f'{where}: tools/{tool}.py does not exist'
    parser = importlib.import_module(f'mmfreesolo.cli.{tool}').build_parser()
    try:
        if tool == 'submit':
            known, rest = parser.parse_known_args(args)
            stage = importlib.import_module(f'mmfreesolo.cli.{STAGE_TOOLS[known.command]}')
            stage.build_parser().parse_args(rest)
        else:
            parser.parse_args(args)
    except SystemExit:
        pytest.fail(f'{where}: tools/{tool}.py does not accept {" ".join(args)}')


def check_command(tokens, where):
    check_repo_paths(tokens, where)
    program, args = tokens[0], tokens[1:]
    if program.endswith('python') or program == 'python3':
        if args[:2] == ['-m', 'torch.distributed.run'] or not args or args[0] == '-m':
            tools = [i for i, a in enumerate(args) if a.startswith('tools/')]
            if not tools:
                return
            args = args[tools[0]:]
        script = args[0]
        if script.startswith('tools/'):
            check_our_tool(Path(script).stem, args[1:], where)
        elif script.startswith('benchmarks/'):
            text = (REPO / script).read_text()
            for option in (a.split('=')[0] for a in args[1:] if a.startswith('--')):
                assert f"'{option}'" in text, f'{where}: {script} has no {option}'
    elif program == 'torchrun':
        tools = [i for i, a in enumerate(args) if a.startswith('tools/')]
        check_our_tool(Path(args[tools[0]]).stem, args[tools[0] + 1:], where)
    elif program in ('bash', 'sbatch'):
        scripts = [a for a in args if a.endswith('.sh')]
        assert scripts and (REPO / scripts[0]).is_file(), f'{where}: no such script'
    elif program == 'make':
        targets = re.findall(r'^([\w-]+):', (REPO / 'Makefile').read_text(), re.M)
        for target in (a for a in args if '=' not in a):
            assert target in targets, f'{where}: make {target} is not a target'


@pytest.mark.parametrize('doc', DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_commands_name_what_exists(doc):
    checked = 0
    for language, body in fenced_blocks(doc.read_text()):
        if language not in SHELL_BLOCKS:
            continue
        for tokens in shell_commands(body):
            check_command(tokens, f'{doc.relative_to(REPO)}: {" ".join(tokens)}')
            checked += 1
    if doc in (REPO / 'README.md', REPO / 'docs' / 'tools.md'):
        assert checked >= 10, 'the commands of the page were found'


@pytest.mark.parametrize('doc', DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(doc):
    for target in re.findall(r'\]\(([^)\s]+)\)', prose(doc.read_text())):
        if re.match(r'^[a-z]+:', target):
            continue
        path, _, anchor = target.partition('#')
        resolved = (doc.parent / path).resolve() if path else doc
        assert resolved.exists(), f'{doc.relative_to(REPO)}: {target} does not exist'
        if anchor:
            assert anchor in anchors(resolved), f'{doc.relative_to(REPO)}: no #{anchor} there'


def test_readme_is_short_and_has_no_placeholders():
    text = (REPO / 'README.md').read_text()
    assert len(text.splitlines()) <= 250
    assert not re.search(r'\b[A-Z]+_[A-Z_]+\b(?!=)', prose(text)), 'an unfilled placeholder'


def test_the_checker_catches_what_does_not_exist():
    with pytest.raises(AssertionError, match='does not exist'):
        check_command(['python', 'tools/train.py', 'configs/nope.py'], 'here')
    with pytest.raises(pytest.fail.Exception, match='does not accept'):
        check_command(['python', 'tools/free_mask.py', 'configs/free_mask/freemask_r50_coco.py',
                       '--out', 'x.json', '--images', 'd', '--no-such-option'], 'here')
    with pytest.raises(AssertionError, match='is not a target'):
        check_command(['make', 'demo-densecl'], 'here')
