"""The conversation over the engine: dialogue, replies, FAQ and the awareness drill; pure logic, state in and out."""
