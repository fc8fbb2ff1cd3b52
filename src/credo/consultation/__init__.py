"""credo.consultation: what the public thinks, reproducibly. Pure and deterministic.

Vote matrices in, result documents out: opinion groups, representative and consensus
statements, group-informed consensus (Pol.is), bridging (Community Notes' matrix
factorisation), divisive statements and translation drift, each figure with its interval or a
"not enough votes" state; and the Pol.is open-data export, read and written. No storage, no
HTTP, and no knowledge of who a participant is: participants are per-consultation pseudonyms.

The API the consultation service and the CLI call::

    matrix = VoteMatrix.build(statement_ids, [Vote(pseudonym, statement_id, 1, "th"), ...])
    # (VoteMatrix.from_arrays(statements, pseudonyms, rows, cols, values, ...) for big ones)
    doc = matrix_bytes(matrix)                  # the published, anonymised matrix
    result = analyse(matrix, Params(seed=7))    # or Params(seed=7, previous=previous_of(last))
    data = result_bytes(result)                 # the published result; result_hash(data)
    verify(parse_matrix(doc), result.params, data)   # None, or VerificationError
    params = parse_params(entry_params_json)    # params_bytes(params) to write them

    export = read_polis(Path("export-dir"))     # comments.csv, votes.csv (+ the rest if there)
    matrix = export.matrix()                    # each participant's latest vote, moderated-out
                                                # statements left out; analyse it as Pol.is
                                                # did with Params(zeroed_statements=
                                                #                export.moderated_out())
    write_polis(Path("out"), export.with_groups(result.group_of()))
    # a native consultation: PolisExport(comments=(PolisComment(...), ...),
    #                                    votes=(PolisVote(...), ...), summary=(("topic", q),))

``result.group_of()`` maps each clustered pseudonym to its group; ``parse_result(bytes)`` reads
a stored document back. Bad input raises ``InputError`` (with a ``code``), a failed
verification ``VerificationError`` naming the first figure that differs.

The method, each formula and where it comes from: docs/consultation-analysis.md.
"""

from credo.consultation.analyse import analyse, verify
from credo.consultation.matrix import (
    MATRIX_FORMAT,
    Vote,
    VoteMatrix,
    matrix_bytes,
    matrix_hash,
    natural_key,
    parse_matrix,
)
from credo.consultation.params import (
    ALGORITHM,
    ALGORITHM_VERSION,
    Params,
    Previous,
    params_bytes,
    parse_params,
)
from credo.consultation.polis import (
    PolisComment,
    PolisExport,
    PolisVote,
    read_polis,
    write_polis,
)
from credo.consultation.result import (
    RESULT_FORMAT,
    Result,
    StatementResult,
    parse_result,
    previous_of,
    result_bytes,
    result_hash,
)

__all__ = [
    "ALGORITHM",
    "ALGORITHM_VERSION",
    "MATRIX_FORMAT",
    "RESULT_FORMAT",
    "Params",
    "PolisComment",
    "PolisExport",
    "PolisVote",
    "Previous",
    "Result",
    "StatementResult",
    "Vote",
    "VoteMatrix",
    "analyse",
    "matrix_bytes",
    "matrix_hash",
    "natural_key",
    "params_bytes",
    "parse_matrix",
    "parse_params",
    "parse_result",
    "previous_of",
    "read_polis",
    "result_bytes",
    "result_hash",
    "verify",
    "write_polis",
]
