"""What a case is: its state, the vocabulary, the requests that make its steps, the
activities' contracts, the search attributes, and the calendar its deadlines count in."""
