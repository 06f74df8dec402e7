"""User recipe files (.toml / .yaml): loading, error messages with line numbers, and the CLI.

Only the last test needs the COHERENT releases (a valid file reaches the data); bad files
fail before any data access.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cevns.recipes import RECIPES, Recipe, RecipeFileError, get_recipe, load_recipe_file
from helpers import assert_clean_exit, invoke

VALID_TOML = """\
# my recipe
name = "my-csi"
base = "deromeri2023"
form_factor = "helm"
time_normalisation = "physical"
"""

VALID_YAML = """\
# my recipe
name: my-csi
base: deromeri2023
form_factor: helm
time_normalisation: physical
"""

FIELD_KEYS = ("name", "form_factor", "radii", "couplings", "sin2_theta_w", "natural_argon", "time_normalisation",
              "lar_time_model", "likelihood")


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def load_error(path: str) -> str:
    with pytest.raises(RecipeFileError) as exc:
        get_recipe(path)
    return str(exc.value)


@pytest.fixture
def needs_yaml():
    pytest.importorskip("yaml", reason="PyYAML (a declared dependency of cevns) is not installed in this environment")


def _check_my_csi(rec: Recipe, path: str) -> None:
    assert isinstance(rec, Recipe)
    assert rec.name == "my-csi"
    assert rec.form_factor == "helm"
    assert rec.time_normalisation == "physical"
    # inherited from the base
    base = RECIPES["deromeri2023"]
    assert rec.couplings == base.couplings == "tree"
    assert rec.sin2_theta_w == base.sin2_theta_w
    assert rec.radii == base.radii
    assert rec.likelihood_name == "deromeri2023"
    assert rec.description and rec.source
    hash(rec)  # recipes key the per-process setup cache
    assert rec.to_dict()["name"] == "my-csi"


# ----------------------------------------------------------------------------- valid files


def test_valid_toml(tmp_path):
    path = write(tmp_path, "mine.toml", VALID_TOML)
    rec = get_recipe(path)
    _check_my_csi(rec, path)
    assert load_recipe_file(path) == rec


def test_valid_yaml(tmp_path, needs_yaml):
    for suffix in (".yaml", ".yml"):
        path = write(tmp_path, f"mine{suffix}", VALID_YAML)
        _check_my_csi(get_recipe(path), path)


def test_toml_and_yaml_agree(tmp_path, needs_yaml):
    a = get_recipe(write(tmp_path, "a.toml", VALID_TOML))
    b = get_recipe(write(tmp_path, "a.yaml", VALID_YAML))
    assert a.to_dict() | {"description": "", "source": ""} == b.to_dict() | {"description": "", "source": ""}


def test_default_base_is_atzori2022(tmp_path):
    rec = get_recipe(write(tmp_path, "plain.toml", 'name = "plain"\n'))
    base = RECIPES["atzori2022"]
    assert rec.likelihood_name == "atzori2022"
    assert (rec.form_factor, rec.couplings, rec.radii) == (base.form_factor, base.couplings, base.radii)


def test_all_field_types(tmp_path):
    text = """\
name = "full"
description = "everything set"
source = "here"
form_factor = "klein-nystrand"
radii = "cadeddu2021"
couplings = "tree"
sin2_theta_w = 0.24
natural_argon = true
csi2017_response = "banerjee2021"
background_time_efficiency = false
time_normalisation = "physical"
lar_time_model = "release"
likelihood = "atzori2022"
"""
    rec = get_recipe(write(tmp_path, "full.toml", text))
    assert rec.description == "everything set" and rec.source == "here"
    assert rec.form_factor == "klein-nystrand" and rec.radii == "cadeddu2021" and rec.couplings == "tree"
    assert rec.sin2_theta_w == 0.24 and rec.natural_argon is True and rec.background_time_efficiency is False
    assert rec.lar_time_model == "release" and rec.likelihood_name == "atzori2022"


def test_integer_accepted_for_float(tmp_path):
    rec = get_recipe(write(tmp_path, "int.toml", 'name = "i"\nsin2_theta_w = 0\n'))
    assert rec.sin2_theta_w == 0.0 and isinstance(rec.sin2_theta_w, float)


# ----------------------------------------------------------------------------- errors


def test_recipe_file_error_is_value_error():
    assert issubclass(RecipeFileError, ValueError)


def test_unknown_key_names_key_line_and_valid_keys(tmp_path):
    path = write(tmp_path, "bad.toml", 'name = "x"\nbase = "deromeri2023"\nform_facter = "helm"\n')
    msg = load_error(path)
    assert "form_facter" in msg
    assert "line 3" in msg, msg
    assert "valid keys" in msg
    for key in ("base", *FIELD_KEYS):
        assert key in msg, f"valid key {key} missing from: {msg}"


def test_unknown_key_yaml(tmp_path, needs_yaml):
    path = write(tmp_path, "bad.yaml", "name: x\n\ncolour: blue\n")
    msg = load_error(path)
    assert "colour" in msg and "line 3" in msg and "form_factor" in msg


@pytest.mark.parametrize(
    ("line", "expected_type"),
    [('sin2_theta_w = "x"', "float"), ("sin2_theta_w = true", "float"), ('natural_argon = "yes"', "bool"),
     ("form_factor = 3", "str"), ("name = 5", "str")],
)
def test_wrong_type_names_key_and_line(tmp_path, line, expected_type):
    text = f'# comment\n{line}\nname = "x"\n' if not line.startswith("name") else f"# comment\n{line}\n"
    msg = load_error(write(tmp_path, "type.toml", text))
    key = line.split("=")[0].strip()
    assert key in msg and "line 2" in msg, msg
    assert expected_type in msg, msg


def test_wrong_type_yaml(tmp_path, needs_yaml):
    msg = load_error(write(tmp_path, "type.yaml", "name: x\nsin2_theta_w: abc\n"))
    assert "sin2_theta_w" in msg and "line 2" in msg and "float" in msg


@pytest.mark.parametrize(
    ("key", "value"),
    [("couplings", "loop"), ("form_factor", "gauss"), ("radii", "mine"), ("time_normalisation", "none"),
     ("lar_time_model", "x")],
)
def test_invalid_choice_lists_choices(tmp_path, key, value):
    from cevns.recipes import _CHOICES

    msg = load_error(write(tmp_path, "choice.toml", f'name = "x"\n{key} = "{value}"\n'))
    assert key in msg and repr(value) in msg and "line 2" in msg, msg
    for choice in _CHOICES[key]:
        assert choice in msg, f"choice {choice} missing from: {msg}"


def test_couplings_loop_message(tmp_path):
    msg = load_error(write(tmp_path, "loop.toml", 'name = "x"\ncouplings = "loop"\n'))
    assert "radiative" in msg and "tree" in msg


def test_missing_name(tmp_path):
    msg = load_error(write(tmp_path, "noname.toml", 'base = "deromeri2023"\nform_factor = "helm"\n'))
    assert "name" in msg


def test_empty_file_missing_name(tmp_path):
    assert "name" in load_error(write(tmp_path, "empty.toml", ""))


@pytest.mark.parametrize("preset", list(RECIPES))
def test_name_equal_to_preset(tmp_path, preset):
    msg = load_error(write(tmp_path, "preset.toml", f'name = "{preset}"\n'))
    assert preset in msg and "preset" in msg


def test_unknown_base(tmp_path):
    msg = load_error(write(tmp_path, "base.toml", 'name = "x"\nbase = "smith2030"\n'))
    assert "smith2030" in msg and "line 2" in msg
    for preset in RECIPES:
        assert preset in msg


@pytest.mark.parametrize("value", ['["deromeri2023"]', "{ a = 1 }", "3"])
def test_base_of_wrong_type(tmp_path, value):
    """A non-string base must give a RecipeFileError, not an uncaught TypeError (unhashable list/dict)."""
    path = write(tmp_path, "base.toml", f'name = "x"\nbase = {value}\n')
    try:
        get_recipe(path)
    except RecipeFileError as exc:
        assert "base" in str(exc)
    except Exception as exc:  # the point of the test
        pytest.fail(f"base = {value} raised {type(exc).__name__}: {exc} instead of RecipeFileError")
    else:
        pytest.fail(f"base = {value} was accepted")


def test_unparsable_toml(tmp_path):
    msg = load_error(write(tmp_path, "broken.toml", 'name = "x"\nform_factor\n'))
    assert "broken.toml" in msg and "parse" in msg
    assert "line 2" in msg, msg


def test_unparsable_yaml(tmp_path, needs_yaml):
    msg = load_error(write(tmp_path, "broken.yaml", "name: x\n  bad: [\n"))
    assert "broken.yaml" in msg and "parse" in msg
    assert "line" in msg


def test_yaml_not_a_mapping(tmp_path, needs_yaml):
    msg = load_error(write(tmp_path, "list.yaml", "- name\n- x\n"))
    assert "key" in msg


def test_missing_file(tmp_path):
    path = str(tmp_path / "nothere.toml")
    msg = load_error(path)
    assert "nothere.toml" in msg and "not found" in msg


def test_get_recipe_unknown_name_lists_presets():
    with pytest.raises(ValueError) as exc:
        get_recipe("nosuch")
    msg = str(exc.value)
    for preset in RECIPES:
        assert preset in msg
    assert ".toml" in msg


# ----------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('name = "x"\n\nform_facter = "helm"\n', "line 3"),
        ('name = "x"\nsin2_theta_w = "x"\n', "line 2"),
        ('name = "x"\ncouplings = "loop"\n', "line 2"),
        ('name = "x"\nform_factor\n', "line 2"),
        ('name = "x"\nbase = "smith2030"\n', "line 2"),
    ],
)
def test_cli_predict_bad_recipe_file(tmp_path, text, needle):
    path = write(tmp_path, "bad.toml", text)
    result = invoke(["predict", "-e", "csi-2021", "--recipe", path])
    assert_clean_exit(result, 2)
    assert needle in result.stderr, result.stderr
    assert "bad.toml" in result.stderr


def test_cli_predict_missing_recipe_file(tmp_path):
    result = invoke(["predict", "-e", "csi-2021", "--recipe", str(tmp_path / "gone.toml")])
    assert_clean_exit(result, 2)
    assert "not found" in result.stderr


def test_cli_predict_recipe_file_with_list_base(tmp_path):
    """`base = [...]` must be a user error (exit 2), not a TypeError traceback (exit 1)."""
    path = write(tmp_path, "listbase.toml", 'name = "x"\nbase = ["deromeri2023"]\n')
    result = invoke(["predict", "-e", "csi-2021", "--recipe", path])
    assert_clean_exit(result, 2)


def test_cli_predict_valid_recipe_file(tmp_path, data_root):
    path = write(tmp_path, "mine.toml", VALID_TOML)
    result = invoke(["predict", "-e", "csi-2021", "--recipe", path, "--json"])
    assert_clean_exit(result, 0)
    out = json.loads(result.stdout)
    assert out["recipe"] == "my-csi"
    assert out["cevns_total"] > 0


@pytest.mark.parametrize(("key", "good", "bad"), [("csi2021_steady_state", "histogram", "flat"),
                                                  ("ngi_normalisation", "published", "double"),
                                                  ("es_vector_normalisation", "printed", "half")])
def test_issue9_recipe_options_in_files(tmp_path, key, good, bad):
    """The recipe options of issue #9 are settable from a file; a wrong value names the choices."""
    rec = load_recipe_file(write(tmp_path, "ok.toml", f'name = "mine"\nbase = "deromeri2023"\n{key} = "{good}"\n'))
    assert getattr(rec, key) == good and getattr(get_recipe("deromeri2023"), key) != good
    msg = load_error(write(tmp_path, "bad.toml", f'name = "mine"\n{key} = "{bad}"\n'))
    assert "line 2" in msg and key in msg and good in msg


def test_issue9_option_defaults():
    for name in ("atzori2022", "deromeri2023"):
        rec = RECIPES[name]
        assert (rec.csi2021_steady_state, rec.ngi_normalisation, rec.es_vector_normalisation) == (
            "smooth", "printed", "consistent")


# ----------------------------------------------------------------------------- recipes as data (issue #10)


@pytest.mark.parametrize("preset", list(RECIPES))
def test_export_round_trip(tmp_path, preset):
    """`cevns recipes export NAME` writes a file that loads back to the same recipe (name aside)."""
    res = invoke(["recipes", "export", preset])
    assert_clean_exit(res, 0)
    rec = load_recipe_file(write(tmp_path, "r.toml", res.stdout))
    assert rec.name == f"{preset}-custom"
    assert rec.to_dict() | {"name": preset} == RECIPES[preset].to_dict() | {"likelihood": preset}


def test_show_prints_the_preset_as_toml():
    import tomllib

    res = invoke(["recipes", "show", "deromeri2023"])
    assert_clean_exit(res, 0)
    raw = tomllib.loads(res.stdout)
    assert raw["name"] == "deromeri2023" and raw["form_factor"] == "klein-nystrand-a13"
    assert raw["nuisances"]["csi-2021"]["alpha_3"] == 0.021
    assert raw["nuisances"]["csi-2021"]["electron-scattering"] == {"alpha_0": 0.11, "alpha_5": 0.038}


def test_electron_scattering_subtable_applies_only_with_es():
    rec = RECIPES["deromeri2023"]
    assert rec.priors_for("csi-2021") == {"alpha_0": 0.1145, "alpha_1": 0.25, "alpha_2": 0.35, "alpha_3": 0.021}
    es = rec.with_options(electron_scattering=True).priors_for("csi-2021")
    assert es["alpha_0"] == 0.11 and es["alpha_5"] == 0.038 and es["alpha_1"] == 0.25


def test_nuisance_overrides_merge_onto_the_base(tmp_path):
    rec = load_recipe_file(write(tmp_path, "n.toml", 'name = "n"\nbase = "atzori2022"\n\n[nuisances.csi-2021]\n'
                                                      'eta_ss = 0.05\neta_brn = "free"\n'))
    pri = rec.priors_for("csi-2021")
    assert pri == {"eta_cevns": 0.12, "eta_brn": None, "eta_nin": 0.35, "eta_ss": 0.05}
    assert rec.priors_for("lar-2020") == RECIPES["atzori2022"].priors_for("lar-2020")


def test_another_likelihood_structure_takes_its_presets_priors(tmp_path):
    rec = load_recipe_file(write(tmp_path, "l.toml", 'name = "l"\nbase = "atzori2022"\nlikelihood = "deromeri2023"\n'))
    assert rec.priors_for("csi-2021") == RECIPES["deromeri2023"].priors_for("csi-2021")


@pytest.mark.parametrize(("table", "needle"), [
    ('[nuisances.csi-2021]\neta_sss = 0.1\n', "line 4: unknown nuisance 'eta_sss' for csi-2021; valid: eta_brn, eta_cevns"),
    ('[nuisances.csi-2022]\neta_ss = 0.1\n', "line 3: no nuisances for experiment 'csi-2022'"),
    ('[nuisances.csi-2021]\neta_ss = -0.1\n', "line 4: nuisance eta_ss must be a positive sigma"),
    ('[nuisances.csi-2021]\neta_ss = "wide"\n', "line 4: nuisance eta_ss must be a positive sigma"),
    ('nuisances = 3\n', "nuisances must be a table"),
])
def test_nuisance_table_errors_name_file_line_and_choices(tmp_path, table, needle):
    path = write(tmp_path, "bad.toml", 'name = "bad"\n\n' + table)
    msg = load_error(path)
    assert path in msg and needle in msg, msg


@pytest.mark.slow
def test_presets_agree_with_their_likelihood_structures(data_root):
    """The sigmas in the shipped preset files are those of the code hooks' defaults (no drift)."""
    from cevns.likelihood import LIKELIHOOD_RECIPES, _build_structure

    own_xenon = {"xenonnt2024": "xenonnt-sr0-sr1", "xenonnt2026": "xenonnt-sr0-sr2"}
    for name, rec in RECIPES.items():
        for exp in sorted(LIKELIHOOD_RECIPES[name]):
            if exp.startswith("xenonnt"):
                continue  # COHERENT recipes use the XENONnT defaults; the XENONnT presets are checked below
            for es in ((False, True) if (name, exp) == ("deromeri2023", "csi-2021") else (False,)):
                r = rec.with_options(electron_scattering=es)
                lk = _build_structure(exp, r, data_root)
                assert {nu.name: nu.sigma for nu in lk.nuisances} == r.priors_for(exp), (name, exp, es)
    from cevns.data import release_folder

    if (release_folder("xenonnt-8b") / "SHA256SUMS").is_file():
        pytest.importorskip("h5py")
        for name, exp in own_xenon.items():
            lk = _build_structure(exp, RECIPES[name])
            assert {nu.name: nu.sigma for nu in lk.nuisances} == RECIPES[name].priors_for(exp), (name, exp)


def test_exported_recipe_gives_the_identical_chi2_and_an_edit_changes_it(tmp_path, data_root):
    """Issue #10: export atzori2022, fit with the file: identical chi2; edit one sigma: different."""
    from cevns.inference import make_analysis

    text = invoke(["recipes", "export", "atzori2022"]).stdout
    same = write(tmp_path, "same.toml", text)
    edited = write(tmp_path, "edited.toml", text.replace("eta_ss = 0.021", "eta_ss = 0.05"))
    assert "eta_ss = 0.05" in Path(edited).read_text()

    def chi2(recipe):
        return make_analysis(["csi-2021", "lar-2020"], recipe, "sm", root=data_root).fit(["cevns_norm"])["chi2_min"]

    reference = chi2("atzori2022")
    assert chi2(same) == reference
    assert abs(chi2(edited) - reference) > 0.1
