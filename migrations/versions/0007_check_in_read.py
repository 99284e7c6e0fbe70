"""check_in_read: door check-ins sent with a client id (offline check-in)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00

The door's check-in page now works without network: it checks badges in against a roster
kept in the browser and sends its queue when the network returns. Each read carries a
client id; a row here per id makes a queue sent twice change nothing, and lets reads of one
badge from two offline devices resolve to the earliest.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'check_in_read',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('attendee_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=100), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by_organizer_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['by_organizer_id'], ['organizer.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id', 'client_id', name='uq_check_in_read_event_client'),
    )
    with op.batch_alter_table('check_in_read', schema=None) as batch_op:
        batch_op.create_index('ix_check_in_read_attendee', ['attendee_id'], unique=False)


def downgrade():
    with op.batch_alter_table('check_in_read', schema=None) as batch_op:
        batch_op.drop_index('ix_check_in_read_attendee')
    op.drop_table('check_in_read')
