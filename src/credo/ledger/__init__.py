"""credo.ledger: entry kinds, members, governance, the credit programme's entries; replaying
the log into state. Importing it registers every kind (the closed set is complete here)."""

from credo.ledger import access as access
from credo.ledger import consent as consent
from credo.ledger import governance as governance
from credo.ledger import programme as programme
from credo.ledger import records as records
