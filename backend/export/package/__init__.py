"""Takedown packages: a plan's requests routed to the parties that can act on them, with their evidence.

``parties`` finds who receives what (rules in ``routing.yaml``), ``build`` assembles each party's
requests and need-to-know evidence as data, ``render`` writes it in the receiver's language (``lang/``,
``templates/``),
``xarf`` the abuse reports, ``manifest`` the SHA-256 manifest and its verification, ``files`` the folder.
"""

from backend.export.package.build import Package, PartyPackage, Requester, takedown_package
from backend.export.package.files import package_files, write_package
from backend.export.package.manifest import verify

__all__ = [
    "Package",
    "PartyPackage",
    "Requester",
    "package_files",
    "takedown_package",
    "verify",
    "write_package",
]
