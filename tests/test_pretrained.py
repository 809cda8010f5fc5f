"""Carga de pesos preentrenados de GPT-2 desde safetensors, sin red: todo con checkpoints locales."""

import re
import socket
import time

import pytest
import torch

import utils.hub as hub
import utils.pretrained as pretrained
from utils.config import GPT2_CONFIGS, GPT2_SIZES
from utils.generation import generate_text_simple
from utils.gpt import GPTModel
from utils.hub import PretrainedDownloadError, download_gpt2_safetensors
from utils.pretrained import load_pretrained_gpt2, save_gpt2_safetensors
from utils.weights import check_hf_shapes, expected_hf_shapes, published_config


@pytest.fixture
def save_hf(random_hf_gpt2):
    """Devuelve una función (carpeta, seed, **config) que guarda con save_pretrained (safetensors) un GPT-2
    de Hugging Face aleatorio (el de conftest, con sesgos y LayerNorm perturbados) y lo devuelve."""

    def save(folder, seed=0, **kwargs):
        hf = random_hf_gpt2(seed, **kwargs)
        hf.save_pretrained(folder)
        return hf

    return save


def test_carpeta_local_da_los_mismos_logits_que_hf(tmp_path, save_hf):
    """Un GPT2LMHeadModel guardado con save_pretrained se carga y da los mismos logits (< 1e-5)."""
    hf = save_hf(tmp_path)
    model = load_pretrained_gpt2(path=tmp_path)
    x = torch.randint(0, 100, (3, 16))
    with torch.no_grad():
        assert (model(x) - hf(x).logits).abs().max().item() < 1e-5


def test_carpeta_local_da_los_mismos_tokens_voraces(tmp_path, save_hf, hf_greedy):
    """La generación voraz con el modelo cargado coincide token a token con la de Hugging Face."""
    hf = save_hf(tmp_path, seed=1)
    model = load_pretrained_gpt2(path=tmp_path / "model.safetensors", cfg=pretrained.config_from_hf_folder(tmp_path))
    idx = torch.tensor([[3, 1, 4, 1, 5]])
    out = generate_text_simple(model, idx, max_new_tokens=15, context_size=16)
    assert out.tolist() == hf_greedy(hf, idx, 15, 16).tolist()


def test_el_modelo_cargado_queda_en_modo_evaluacion(tmp_path, save_hf):
    """El cargador devuelve el modelo en eval(), para generar sin dropout."""
    save_hf(tmp_path)
    assert load_pretrained_gpt2(path=tmp_path).training is False


def test_el_modelo_cargado_es_un_modelo_normal(tmp_path, save_hf):
    """Aunque se construye en 'meta', nada queda allí: parámetros entrenables y máscaras como las de GPTModel."""
    save_hf(tmp_path)
    model = load_pretrained_gpt2(path=tmp_path)
    assert {t.device.type for t in model.state_dict().values()} == {"cpu"}
    assert all(isinstance(p, torch.nn.Parameter) and p.requires_grad for p in model.parameters())
    fresh = GPTModel(model.cfg)
    for name, buffer in fresh.named_buffers():
        assert torch.equal(model.get_buffer(name), buffer), name


def test_el_hub_en_cache_usa_el_mismo_camino(tmp_path, save_hf, monkeypatch):
    """Con el fichero ya en la caché del Hub (simulada), se carga sin red y da los mismos logits."""
    hf = save_hf(tmp_path)
    calls = []

    def fake_download(repo_id, filename, **kwargs):
        calls.append((repo_id, filename, kwargs.get("local_files_only")))
        return str(tmp_path / "model.safetensors")

    monkeypatch.setattr(hub, "hf_hub_download", fake_download)
    cfg = pretrained.config_from_hf_folder(tmp_path)
    model = load_pretrained_gpt2("124M", cfg=cfg)
    assert calls == [("openai-community/gpt2", "model.safetensors", True)]
    x = torch.randint(0, 100, (1, 16))
    with torch.no_grad():
        assert (model(x) - hf(x).logits).abs().max().item() < 1e-5


def test_fichero_cortado_da_error_en_espanol(tmp_path, save_hf):
    """Un safetensors truncado (descarga interrumpida) da un error que pide volver a descargarlo."""
    save_hf(tmp_path)
    data = (tmp_path / "model.safetensors").read_bytes()
    cut = tmp_path / "cortado.safetensors"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="incompleto.*vuelve a descargarlo"):
        load_pretrained_gpt2(path=cut, cfg=pretrained.config_from_hf_folder(tmp_path))


def test_tamano_equivocado_nombra_el_tensor_y_las_formas(tmp_path, save_hf):
    """Cargar un fichero pequeño como si fuera el de 124M nombra un tensor y las dos formas."""
    save_hf(tmp_path)
    with pytest.raises(ValueError, match=r"'wte\.weight' tiene forma \(100, 32\) y se esperaba \(50257, 768\)"):
        load_pretrained_gpt2("124M", path=tmp_path)


def test_capas_de_mas_o_de_menos_se_nombran(tmp_path, save_hf):
    """Un fichero con 3 bloques leído con n_layers=2 dice qué tensores sobran; al revés, cuáles faltan."""
    save_hf(tmp_path, n_layer=3)
    cfg3 = pretrained.config_from_hf_folder(tmp_path)
    with pytest.raises(ValueError, match=r"sobran 12 tensores.*'h\.2\.attn\.c_attn\.bias'"):
        load_pretrained_gpt2(path=tmp_path, cfg={**cfg3, "n_layers": 2})
    with pytest.raises(ValueError, match=r"faltan 12 tensores.*'h\.3\.ln_1\.weight'"):
        load_pretrained_gpt2(path=tmp_path, cfg={**cfg3, "n_layers": 4})


@pytest.mark.parametrize("nombre", ["pytorch_model.bin", "gpt2.pt", "modelo.pth"])
def test_no_abre_ficheros_pickle(tmp_path, nombre):
    """Un .bin, .pt o .pth se rechaza sin abrirlo (no es un pickle válido): solo se leen safetensors."""
    fichero = tmp_path / nombre
    fichero.write_bytes(b"no importa lo que haya dentro")
    with pytest.raises(ValueError, match=rf"{nombre} es un fichero pickle.*solo lee safetensors"):
        load_pretrained_gpt2(path=fichero)


def test_carpeta_solo_con_pickle_lo_dice(tmp_path):
    """Una carpeta con pytorch_model.bin y sin model.safetensors nombra el .bin y pide el safetensors."""
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(FileNotFoundError, match=r"no contiene model.safetensors; solo hay ficheros pickle "
                                                r"\(\['pytorch_model.bin'\]\).*descarga model.safetensors"):
        load_pretrained_gpt2(path=tmp_path)


def test_ruta_que_no_existe_da_error(tmp_path):
    """Una ruta inexistente se nombra en el error, que dice qué hay que pasar."""
    ruta = tmp_path / "gpt2-124M" / "model.safetensors"
    with pytest.raises(FileNotFoundError, match=rf"No existe {re.escape(str(ruta))}; pasa la ruta de un fichero"):
        load_pretrained_gpt2(path=ruta)


def test_cfg_sin_sesgo_qkv_da_error(tmp_path, save_hf):
    """Una cfg con qkv_bias=False (la del libro) se rechaza nombrando el valor y la corrección."""
    save_hf(tmp_path)
    cfg = {**pretrained.config_from_hf_folder(tmp_path), "qkv_bias": False}
    with pytest.raises(ValueError, match=r"qkv_bias=False.*'qkv_bias': True"):
        load_pretrained_gpt2(path=tmp_path, cfg=cfg)


def test_otro_tamano_de_gpt2_se_reconoce():
    """Si el fichero es de otro tamaño de GPT-2 (solo cabecera: formas), el error dice qué size usar."""
    formas_355m = {f"transformer.{n}": s for n, s in expected_hf_shapes(published_config("355M")).items()}
    with pytest.raises(ValueError, match=r'Este fichero es el GPT-2 de 355M: usa size="355M"'):
        check_hf_shapes(formas_355m, published_config("124M"))


def test_fichero_de_otra_configuracion_da_sus_valores(tmp_path, save_hf):
    """Un GPT-2 que no es de los cuatro tamaños: el error da vocab_size, context_length, emb_dim y n_layers."""
    save_hf(tmp_path, n_layer=3)
    with pytest.raises(ValueError, match=r"vocab_size=100, context_length=16, emb_dim=32 y n_layers=3"):
        load_pretrained_gpt2("124M", path=tmp_path)


def test_carpeta_sin_safetensors_da_error(tmp_path):
    """Una carpeta sin model.safetensors da un error que nombra la carpeta y el fichero que falta."""
    with pytest.raises(FileNotFoundError, match="no contiene model.safetensors"):
        load_pretrained_gpt2(path=tmp_path)


def test_sin_red_falla_en_segundos_con_instrucciones(tmp_path, no_network, monkeypatch):
    """Sin red y sin caché: PretrainedDownloadError en menos de 2 s, con el comando y la URL de descarga."""
    monkeypatch.setattr(hub.hf_constants, "HF_HUB_OFFLINE", False)  # el camino de la red, no el del modo offline
    start = time.monotonic()
    with pytest.raises(PretrainedDownloadError) as info:
        load_pretrained_gpt2("355M", cache_dir=tmp_path)
    assert time.monotonic() - start < 2.0
    message = str(info.value)
    assert "no hay conexión" in message
    assert "hf download openai-community/gpt2-medium model.safetensors --local-dir gpt2-355M" in message
    assert "https://huggingface.co/openai-community/gpt2-medium/resolve/main/model.safetensors" in message
    assert 'load_pretrained_gpt2("355M", path="gpt2-355M")' in message


def test_dns_que_no_responde_no_bloquea(tmp_path, monkeypatch):
    """Si la conexión se queda colgada (DNS sin respuesta), el cargador se rinde al agotar timeout."""
    def hang(*args, **kwargs):
        time.sleep(5)
        raise OSError("demasiado tarde")

    monkeypatch.setattr(socket, "create_connection", hang)
    monkeypatch.setattr(hub.hf_constants, "HF_HUB_OFFLINE", False)
    start = time.monotonic()
    with pytest.raises(PretrainedDownloadError, match="sin respuesta"):
        download_gpt2_safetensors("124M", cache_dir=tmp_path, timeout=0.3)
    assert time.monotonic() - start < 2.0


def test_con_proxy_se_comprueba_el_proxy(monkeypatch):
    """Tras un proxy (HTTPS_PROXY), la comprobación de red intenta llegar al proxy, no al Hub."""
    hosts = []
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.ejemplo:3128")
    monkeypatch.setattr(socket, "create_connection", lambda address, timeout: hosts.append(address) or socket.socket())
    assert hub.hub_is_reachable("https://huggingface.co", timeout=1.0) == (True, "")
    assert hosts == [("proxy.ejemplo", 3128)]


def test_modo_sin_conexion_de_hf_da_error_en_espanol(tmp_path, monkeypatch):
    """Con HF_HUB_OFFLINE activado y sin caché, el error lo dice y explica la descarga a mano."""
    monkeypatch.setattr(hub.hf_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(PretrainedDownloadError, match="(?s)HF_HUB_OFFLINE.*hf download openai-community/gpt2 "):
        download_gpt2_safetensors("124M", cache_dir=tmp_path)


def test_error_de_descarga_del_hub_se_traduce(tmp_path, monkeypatch):
    """Si el Hub responde pero la descarga falla, el error de huggingface_hub llega traducido y encadenado."""
    from huggingface_hub.errors import LocalEntryNotFoundError

    def fake_download(repo_id, filename, local_files_only=False, **kwargs):
        raise LocalEntryNotFoundError("Connection error")

    monkeypatch.setattr(hub, "hf_hub_download", fake_download)
    monkeypatch.setattr(hub, "hub_is_reachable", lambda timeout: (True, ""))
    monkeypatch.setattr(hub.hf_constants, "HF_HUB_OFFLINE", False)
    with pytest.raises(PretrainedDownloadError, match="No se pudo descargar model.safetensors") as info:
        download_gpt2_safetensors("774M", cache_dir=tmp_path)
    assert isinstance(info.value.__cause__, LocalEntryNotFoundError)


def test_tamano_desconocido_da_error():
    """Un tamaño que no existe se rechaza nombrando los cuatro válidos."""
    with pytest.raises(ValueError, match=r"'125M'.*\['124M', '355M', '774M', '1558M'\]"):
        load_pretrained_gpt2("125M")


def test_configuraciones_de_los_cuatro_tamanos():
    """Cada tamaño apunta a su repositorio del Hub y sus pesos publicados usan qkv_bias=True con sus dimensiones."""
    published = {size: published_config(size) for size in GPT2_SIZES}
    dims = {size: (cfg["emb_dim"], cfg["n_layers"], cfg["n_heads"]) for size, cfg in published.items()}
    assert dims == {"124M": (768, 12, 12), "355M": (1024, 24, 16), "774M": (1280, 36, 20), "1558M": (1600, 48, 25)}
    assert all(cfg["qkv_bias"] for cfg in published.values())
    assert [entry["repo"] for entry in GPT2_SIZES.values()] == [
        "openai-community/gpt2", "openai-community/gpt2-medium",
        "openai-community/gpt2-large", "openai-community/gpt2-xl",
    ]


def test_una_sola_tabla_de_tamanos():
    """GPT2_CONFIGS (los nombres del libro) sale de GPT2_SIZES, y el nombre del libro vale donde vale "124M"."""
    assert list(GPT2_CONFIGS) == [entry["name"] for entry in GPT2_SIZES.values()]
    assert all(GPT2_CONFIGS[entry["name"]] is entry["cfg"] for entry in GPT2_SIZES.values())
    assert hub.check_gpt2_size("gpt2-medium (355M)") == "355M"
    assert hub.gpt2_download_url("gpt2-small (124M)") == hub.gpt2_download_url("124M")


def test_formas_esperadas_iguales_a_las_de_hf(tmp_path, save_hf):
    """expected_hf_shapes da los mismos nombres y formas que el state_dict de GPT2Model de Hugging Face."""
    hf = save_hf(tmp_path)
    real = {name: tuple(t.shape) for name, t in hf.transformer.state_dict().items()
            if not name.endswith((".attn.bias", ".attn.masked_bias"))}
    assert expected_hf_shapes(pretrained.config_from_hf_folder(tmp_path)) == real


def test_config_json_de_otro_modelo_da_error(tmp_path, save_hf):
    """Un config.json que no es de GPT-2 (sin n_embd, n_layer...) se nombra y se pide size= o cfg=."""
    save_hf(tmp_path)
    (tmp_path / "config.json").write_text('{"model_type": "llama", "hidden_size": 32}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"config.json: La configuración no describe un GPT-2 "
                                         r"\(model_type='llama'.*pasa size="):
        load_pretrained_gpt2(path=tmp_path)


def test_un_pickle_de_verdad_nunca_se_abre(tmp_path):
    """Un .bin que ejecutaría código al cargarse (crea un fichero) se rechaza sin abrirlo: el fichero no aparece."""
    import pathlib
    import pickle

    marca = tmp_path / "ejecutado"

    class Trampa:
        def __reduce__(self):
            return (pathlib.Path.touch, (marca,))

    fichero = tmp_path / "pytorch_model.bin"
    fichero.write_bytes(pickle.dumps(Trampa()))
    with pytest.raises(ValueError, match="puede ejecutar código al abrirse"):
        load_pretrained_gpt2(path=fichero)
    assert not marca.exists()
    pickle.loads(fichero.read_bytes())  # control: abrirlo sí ejecuta el código (la prueba puede fallar)
    assert marca.exists()


def test_fichero_que_no_es_safetensors_da_error(tmp_path):
    """Un .safetensors que no lo es (texto, una página de error descargada...) pide volver a descargarlo."""
    fichero = tmp_path / "model.safetensors"
    fichero.write_text("<html>404 Not Found</html>", encoding="utf-8")
    with pytest.raises(ValueError, match="no es un fichero safetensors válido.*vuelve a descargarlo"):
        load_pretrained_gpt2("124M", path=tmp_path)


def test_carpeta_con_config_y_sin_pesos_da_error(tmp_path, save_hf):
    """Una carpeta con config.json pero sin model.safetensors nombra el fichero que falta."""
    save_hf(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"no contiene model\.safetensors\.$"):
        load_pretrained_gpt2(path=tmp_path)


def test_mascaras_del_fichero_se_ignoran_y_se_crean_como_en_el_modelo(tmp_path, save_hf):
    """Las máscaras attn.bias de la conversión de Hugging Face no se leen: aunque estén estropeadas, el modelo
    cargado tiene las suyas y da los mismos logits."""
    from safetensors.torch import load_file, save_file

    hf = save_hf(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    tensors["transformer.h.0.attn.bias"] = torch.zeros(1, 1, 16, 16)  # una máscara que no tapa nada
    save_file(tensors, tmp_path / "model.safetensors", metadata={"format": "pt"})
    model = load_pretrained_gpt2(path=tmp_path)
    assert torch.equal(model.trf_blocks[0].att.mask, GPTModel(model.cfg).trf_blocks[0].att.mask)
    x = torch.randint(0, 100, (1, 16))
    with torch.no_grad():
        assert (model(x) - hf(x).logits).abs().max().item() < 1e-5


def test_tamanos_de_fichero_anunciados():
    """Lo que ocupan los model.safetensors del Hub sale de la cuenta (parámetros publicados × 4 bytes más una
    máscara de context_length² por bloque) y coincide con los ficheros publicados."""
    assert [hub.gpt2_file_size(size) for size in GPT2_SIZES] == ["523 MiB", "1,4 GiB", "3,0 GiB", "6,0 GiB"]


def _trained_like(cfg, seed=0, tie=False):
    """Un GPTModel aleatorio con sesgos y LayerNorm perturbados (como uno entrenado), en modo eval."""
    torch.manual_seed(seed)
    model = GPTModel(cfg).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("bias", "scale", "shift")):
                param.add_(torch.randn_like(param) * 0.2)
    if tie:
        model.out_head.weight = model.tok_emb.weight
    return model


@pytest.mark.parametrize("qkv_bias", [False, True])
@pytest.mark.parametrize("tie", [False, True])
def test_guardar_y_cargar_da_el_mismo_modelo(tmp_path, tiny_cfg, qkv_bias, tie):
    """save_gpt2_safetensors y load_pretrained_gpt2(path=...) dan los mismos logits (exactos) y los mismos tokens,
    con o sin pesos compartidos y con o sin sesgo qkv (sin él, c_attn.bias se guarda con ceros)."""
    model = _trained_like({**tiny_cfg, "qkv_bias": qkv_bias}, tie=tie)
    save_gpt2_safetensors(model, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    loaded = load_pretrained_gpt2(path=tmp_path)
    x = torch.randint(0, tiny_cfg["vocab_size"], (2, 16))
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    idx = torch.tensor([[3, 1, 4]])
    assert torch.equal(generate_text_simple(loaded, idx, 20, 16), generate_text_simple(model, idx, 20, 16))


def test_formato_de_gpt2_nombres_y_orientacion_conv1d(tmp_path, tiny_cfg, random_hf_gpt2):
    """El fichero guardado tiene los nombres y formas de un GPT-2 de Hugging Face (Conv1D: entrada, salida),
    y traducir de ida y vuelta devuelve los mismos tensores."""
    from safetensors.torch import load_file

    from utils.weights import gpt_to_hf_state_dict, hf_to_gpt_state_dict

    hf = random_hf_gpt2(0)
    cfg = {**tiny_cfg, "qkv_bias": True}
    ours = hf_to_gpt_state_dict(hf.state_dict(), cfg)
    back = gpt_to_hf_state_dict(ours, cfg)
    hf_sd = {k.removeprefix("transformer."): v for k, v in hf.state_dict().items() if not k.endswith(".attn.bias")}
    hf_sd.pop("lm_head.weight")  # compartida con wte: el fichero no la repite
    assert sorted(back) == sorted(hf_sd)
    assert all(torch.equal(back[k], hf_sd[k]) for k in back)
    save_gpt2_safetensors(_trained_like(cfg), tmp_path)
    shapes = {k: tuple(v.shape) for k, v in load_file(tmp_path / "model.safetensors").items()}
    assert shapes["h.0.attn.c_attn.weight"] == (32, 96) and shapes["h.1.mlp.c_fc.weight"] == (32, 128)
    assert shapes["lm_head.weight"] == (100, 32)  # sin pesos compartidos, la capa de salida va aparte


@pytest.mark.parametrize("tie", [False, True])
def test_la_carpeta_guardada_se_abre_con_transformers_sin_red(tmp_path, tiny_cfg, no_network, tie):
    """GPT2LMHeadModel.from_pretrained(carpeta), sin red, da los logits de nuestro modelo (< 1e-5)."""
    from transformers import GPT2LMHeadModel
    from transformers.utils import logging as hf_logging

    model = _trained_like({**tiny_cfg, "qkv_bias": True}, seed=1, tie=tie)
    save_gpt2_safetensors(model, tmp_path)
    hf_logging.set_verbosity_error()
    hf = GPT2LMHeadModel.from_pretrained(tmp_path, local_files_only=True).eval()
    assert (hf.lm_head.weight is hf.transformer.wte.weight) == tie
    x = torch.randint(0, tiny_cfg["vocab_size"], (2, 16))
    with torch.no_grad():
        assert (hf(x).logits - model(x)).abs().max().item() < 1e-5
