"""SHA-256 registry of the COHERENT public data releases read by cevns.

Hashes of the files as published (checked against the reference copies); the files
themselves are never shipped with cevns: see :mod:`cevns.data`.
"""

RELEASES: dict[str, dict] = {
    "csi-2017": {
        "title": "CsI[Na] first observation, Science 357 (2017) 1123",
        "published_at": "arXiv:1804.09459, doi:10.5281/zenodo.1228631",
        "files": {
            "arrivalTimePDF_delayedNeutrinos.txt": "6d8b4054173ca7d4f612b2ead7ce563e99eb99af9f4fc8d7b8b47c06cd5b640f",
            "arrivalTimePDF_promptNeutrinos.txt": "2c92dd58f1366b7844e6ea0c73f016069a2c9b7d4538374259c00c370b9eb66a",
            "arrivalTimePDF_promptNeutrons.txt": "f3992ea6d88a3da80f5134a00e4a7b784c119c9adeed9bc9649f4134e203fb11",
            "data_anticoincidence_beamOff.txt": "efc91013ae0859631882513155761b423ddd08cb5062b6dfd9c17a7bd34f1e7d",
            "data_anticoincidence_beamOn.txt": "8b180f9395dc8886f8be02f619e35903f151f8b15f7cbc5a0171ac7e59e59523",
            "data_coincidence_beamOff.txt": "47e7904cd55929f6f84e9a58567b223cfcd6741af38f8b54091bbcc8756e9ae8",
            "data_coincidence_beamOn.txt": "f9e8b795a48eb1f3a22cdca33cad978e5dc17fe56ea8f6a0bf32d18967051765",
            "promptPDF.txt": "6e74171096abb2e9a3fac3c1b1c85f3973501627b88b2a83de7e7e5121601efa",
            "qfData_chicago.txt": "31046d48092e619eb84f06acdf09ea8e86c642da6aa368c10fe338480b90a04f",
            "qfData_tunl.txt": "9e3c83e669c52be27ce47d588bbeb5d5400fadbc5625c41aa665d03c99186f94",
        },
    },
    "csi-2021": {
        "title": "CsI[Na] full dataset, PRL 129 (2022) 081801",
        "published_at": "ancillary files of arXiv:2110.07730v2",
        "files": {
            "brnPE.txt": "0000b042b8d0d28b90370eb70d1409db1d8c510fcf2b3e636370b0d4443ac0b0",
            "brnTrec.txt": "6f279d835242a868dfc048abaa42b8c400bf961036de7bc7e64636efdd46466f",
            "dataBeamOnAC.txt": "f530d4a50e889333ada0e739db2e36d7f9f3b783822c8c6e932dae88ce071639",
            "dataBeamOnC.txt": "0a188a0291af06dd023d966d1c9fea7a82ec32d8c1a10750fd09c2b17f10a749",
            "effCoefficients.txt": "f1e58e6b8ec4db53da3be21fe44ebc4621e9b248b920be09759b1000dada8c51",
            "ninPE.txt": "41cae0376003cc2dcd028a3913e7c16395471f612b56d311f80e2a6071c9950c",
            "ninTrec.txt": "2bb034d648b312f4ee329ae95078dc748ff3f83b999c411b08f86d82ddf8e151",
            "scintRespCoefficients.txt": "ea6b8f34b296bf6e99f2a4ac504030d99155daba3e3c252f51c87d2470319d13",
        },
    },
    "lar-2020": {
        "title": "CENNS-10 liquid argon Analysis A, PRL 126 (2021) 012002",
        "published_at": "arXiv:2006.12659, doi:10.5281/zenodo.3903810",
        "files": {
            "CENNS10AnlAEfficiency.txt": "21ce25451c1ed552752ff4a22496deab3ff5dba178bf360813eaff1d25be89e2",
            "LArParametersAnlA.yaml": "a206a77220436d0173c4783ae8fddeab97adf5e144f3d65005eff0870257693e",
            "bkgpdf.txt": "36c89291dde3032a19ca7a8e64510d036d7b40c34b0805ce475a13ccfa739dd1",
            "brnpdf+1sigBRNTimingMean.txt": "7f06099e1bba0d2e328555c61cb255bb290607a44202327d29eb3ae3e05c1cd5",
            "brnpdf+1sigEnergy.txt": "fb6fdaf99c9941653d33e1a909d8000b81c1ee9bb8e8ad3bf31839561faf6661",
            "brnpdf-1sigBRNTimingMean.txt": "b5c1c8d0cb8b2319d093d38418da5ac2ccda59108755fb23e7f4a559cfe154f8",
            "brnpdf-1sigEnergy.txt": "20bcad29e716f3fb0f1e9eeb8ffb049b4b3d8b3b3a150800b9c8711e2b177be6",
            "brnpdf.txt": "02664ce6a84eca8c6146b6502497bc5d8165df945da132193622334ff4ff826f",
            "brnpdfBRNTimingWidthSyst.txt": "304dba1553989d7c0cd3f745df9731a5306ec07ecc1044c20efbe2952707b270",
            "cevnspdf+1sigF90.txt": "308f78e19b7fb3e54399dc29c207bd2a89b91825df5309d48068a3495e1c92e2",
            "cevnspdf-1sigF90.txt": "b4e8071f87aa22a562e0c00654a0989915251acf2c7e569068b9b78c3ae5ac35",
            "cevnspdf.txt": "3b1d5b25749e8d8e1cfdf5c32e48f026ce4aafec0a80632b3a63273e6e0e1f37",
            "cevnspdfCEvNSTimingMeanSyst.txt": "3170dafd4cf44df35bde0795e1245606d8144c05f3e50f015648c57bcdba97f5",
            "datanobkgsub.txt": "dabf3d80f13959f4b94b77c9b56f7347a645105801e8cc177424e7ffcf7c7f66",
            "delbrnpdf.txt": "ebccca6c1650b0ace71fdbaade7a80ea289a99ff3c120266ae6ecf0083df5c63",
            "energydata1d.txt": "d691284e875fb24e72787016f118c171974ca68fa6005da7ea653ca66059aa04",
            "f90data1d.txt": "e82988ec2fdb871f21850ceea866213310ee81dca656ee4448282748037f1579",
            "systerrors1denergy.txt": "09fd74b1bc242f1638dae465eefc97e374a2e6efa0aaa1b4452f1ee20dd42aed",
            "systerrors1dpsd.txt": "a553c63ce5861d63c139aa18d3ece0f5e9d32be2029eb2a7474b8e4e39000c0f",
            "systerrors1dtime.txt": "a7719f21aa5c8820f6ed65d385d7ba14f55631976a6ca289d8685081599529be",
            "timingdata1d.txt": "fb1054fac8baf2f527b51e6bd45e4341da45fe80dadce815a3d1cad08d729554",
        },
    },
}
